"""Admin for merchants, memberships, invitations, plans, API keys, plan requests and usage; cross-merchant by design."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from koongo.accounts.models import Invitation, Membership, Merchant, MerchantApiKey, MonthlyUsage, Plan, PlanChangeRequest

# The library registers its own, unused APIKey model: a second "API keys" entry that never holds a merchant's key.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order_sync", "rma", "refund_sync", "max_connections", "orders_per_month"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "timezone", "created_at", "orders_this_month"]
    list_filter = ["plan"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [MembershipInline]

    @admin.display(description=_("Orders this month"))
    def orders_this_month(self, obj):
        from koongo.accounts.services import usage_this_month

        return usage_this_month(obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__username", "merchant__name"]
    list_select_related = ["user", "merchant"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "merchant", "role", "invited_by_label", "created_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "merchant__name"]
    readonly_fields = ["created_at", "accepted_at", "invited_by", "invited_by_label"]
    list_select_related = ["merchant"]


@admin.register(MerchantApiKey)
class MerchantApiKeyAdmin(APIKeyModelAdmin):
    # The library's admin shows only the prefix; the hashed key is never displayed.
    list_display = [*APIKeyModelAdmin.list_display, "merchant", "role", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "role"]
    search_fields = [*APIKeyModelAdmin.search_fields, "merchant__name"]
    list_select_related = ["merchant"]


@admin.register(PlanChangeRequest)
class PlanChangeRequestAdmin(admin.ModelAdmin):
    list_display = ["merchant", "requested_plan", "requested_by", "created_at", "handled_at"]
    list_filter = ["requested_plan", "handled_at"]
    list_select_related = ["merchant", "requested_plan", "requested_by"]
    actions = ["apply_plan"]

    @admin.action(description=_("Apply the requested plan"))
    def apply_plan(self, request, queryset):
        from django.utils import timezone

        changes = list(queryset.select_related("merchant", "requested_plan"))
        for change in changes:
            change.merchant.plan = change.requested_plan
            change.merchant.save(update_fields=["plan"])
            change.handled_at = timezone.now()
            change.save(update_fields=["handled_at"])
        count = len(changes)
        self.message_user(request, ngettext("Applied %(count)s plan change.", "Applied %(count)s plan changes.", count) % {"count": count})


@admin.register(MonthlyUsage)
class MonthlyUsageAdmin(admin.ModelAdmin):
    list_display = ["merchant", "month", "orders"]
    list_filter = ["month"]
    list_select_related = ["merchant"]
