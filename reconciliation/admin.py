"""Admin for reconciliation runs and their findings, across merchants; apply a finding's fix from the list."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from koongo.accounts.tenancy import merchant_scope
from reconciliation import services
from reconciliation.models import Finding, ReconciliationRun


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    fields = ["kind", "message", "miinto_order_id", "store_ref", "fix", "fixed_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "merchant", "connection", "period_start", "period_end", "trigger", "status", "findings_total", "created_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["merchant__name", "connection__shop_id"]
    list_select_related = ["merchant", "connection"]
    readonly_fields = ["counts", "remote_reads", "error", "started_at", "finished_at"]
    inlines = [FindingInline]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["pk", "merchant", "run", "kind", "miinto_order_id", "store_ref", "fix", "fixed_at"]
    list_filter = ["kind", "fix"]
    search_fields = ["message", "store_ref", "miinto_order_id"]
    list_select_related = ["merchant", "run"]
    raw_id_fields = ["run", "order", "rma", "connection"]
    actions = ["apply_fix"]

    @admin.action(description="Apply the offered fix")
    def apply_fix(self, request, queryset):
        fixed = 0
        # Admin works across merchants; each fix runs in its finding's merchant scope, as tasks do.
        for finding in queryset.select_related("merchant", "connection", "rma"):
            with merchant_scope(finding.merchant):
                try:
                    services.finding_fix(finding=finding, by=f"admin:{request.user.get_username()}")
                    fixed += 1
                except ValidationError as error:
                    self.message_user(request, f"{finding}: {' '.join(error.messages)}", level="warning")
        self.message_user(request, f"Applied {fixed} fix(es).")
