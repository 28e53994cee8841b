"""Admin for RMAs, their lines, store refunds and the RMA outbox rows, across merchants; re-push a refund, re-import an RMA."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from connections.sync.admin import OutboxAdmin
from koongo.accounts.tenancy import merchant_scope
from koongo.http import HttpError
from rma import services
from rma.models import RefundPush, Rma, RmaDecisionPush, RmaDigestOptOut, RmaLine, RmaRequestPush, RmaSettings, StoreRefund


class RmaLineInline(admin.TabularInline):
    model = RmaLine
    extra = 0
    fields = ["miinto_id", "miinto_position_id", "order_line", "quantity", "unit_price", "amount", "reason"]
    readonly_fields = fields
    can_delete = False


@admin.register(Rma)
class RmaAdmin(admin.ModelAdmin):
    list_display = ["miinto_id", "merchant", "connection", "origin", "status", "decided_by", "amount", "currency", "created_at_miinto"]
    list_filter = ["status", "origin", "decided_by", "connection__market"]
    search_fields = ["miinto_id", "miinto_order_id", "merchant__name"]
    list_select_related = ["merchant", "connection"]
    readonly_fields = ["refund_key"]
    inlines = [RmaLineInline]
    actions = ["repush_refund", "reimport"]

    @admin.action(description="Re-push the store refund")
    def repush_refund(self, request, queryset):
        """Retry a failed or dead refund push; queue one where none exists yet and the rules allow it."""
        count = 0
        # Admin works across merchants; each write runs in its RMA's merchant scope, as tasks do.
        for rma in queryset.select_related("merchant", "connection", "order"):
            with merchant_scope(rma.merchant):
                try:
                    count += services.refund_to_store(merchant=rma.merchant, rma=rma)
                except ValidationError as error:
                    self.message_user(request, f"RMA {rma.miinto_id}: {' '.join(error.messages)}", messages.WARNING)
        self.message_user(request, f"Queued {count} refund push(es); done ones are left alone (the store has them).")

    @admin.action(description="Re-import from Miinto")
    def reimport(self, request, queryset):
        """Read each RMA from Miinto again and record what Miinto shows (a decision made there, for instance)."""
        count = 0
        for rma in queryset.select_related("merchant", "connection"):
            if rma.connection.is_china:
                continue  # no RMA call is ever made for a CN shop
            with merchant_scope(rma.merchant):
                try:
                    services.rma_reimport(rma=rma)
                    count += 1
                except HttpError as error:
                    self.message_user(request, f"RMA {rma.miinto_id}: {error}", messages.WARNING)
        self.message_user(request, f"Re-imported {count} RMA(s).")


@admin.register(StoreRefund)
class StoreRefundAdmin(admin.ModelAdmin):
    list_display = ["store_refund_id", "merchant", "store_connection", "order", "origin", "status", "total", "currency", "created_at_store"]
    list_filter = ["origin", "status", "item_level"]
    search_fields = ["store_refund_id", "store_order_id", "merchant__name"]
    list_select_related = ["merchant", "store_connection", "order"]
    readonly_fields = ["request_key"]


admin.site.register(RmaDecisionPush, OutboxAdmin)
admin.site.register(RefundPush, OutboxAdmin)
admin.site.register(RmaRequestPush, OutboxAdmin)


@admin.register(RmaSettings)
class RmaSettingsAdmin(admin.ModelAdmin):
    list_display = ["connection", "merchant", "restock_refunds", "returns_watermark", "refunds_watermark", "last_digest_at"]
    list_select_related = ["connection", "merchant"]


@admin.register(RmaDigestOptOut)
class RmaDigestOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "created_at"]
    list_select_related = ["user", "merchant"]

