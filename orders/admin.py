"""Admin for transfers, positions, decisions, orders and their pushes, across merchants."""

from django.contrib import admin

from connections.sync.admin import OutboxAdmin
from connections.sync.outbox import outbox_retry
from orders.models import Decision, DecisionPush, Order, OrderLine, Position, StorePush, Transfer


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    fields = ["miinto_id", "quantity", "unit_price", "currency", "gtin", "product", "status", "wait_reason"]
    readonly_fields = fields
    can_delete = False


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["miinto_id", "merchant", "connection", "created_at_miinto", "new_order_id", "closed_at"]
    list_filter = ["connection__market"]
    search_fields = ["miinto_id", "merchant__name", "connection__shop_id"]
    list_select_related = ["merchant", "connection"]
    inlines = [PositionInline]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["miinto_id", "merchant", "transfer", "status", "unit_price", "currency", "quantity", "product", "awaiting_store"]
    list_filter = ["status", "awaiting_store", "currency"]
    search_fields = ["miinto_id", "gtin", "merchant__name"]
    list_select_related = ["merchant", "transfer", "product"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["position", "merchant", "outcome", "reason", "decided_by", "created_at", "sent_at"]
    list_filter = ["outcome", "reason", "decided_by"]
    search_fields = ["position__miinto_id", "merchant__name"]
    list_select_related = ["position", "merchant"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    exclude = ["merchant"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["miinto_id", "parent_order_id", "merchant", "connection", "status", "currency", "store_order_id", "created_at"]
    list_filter = ["status", "connection__market"]
    search_fields = ["miinto_id", "parent_order_id", "customer_name", "customer_email", "merchant__name"]
    list_select_related = ["merchant", "connection"]
    inlines = [OrderLineInline]
    actions = ["resync_order", "repush_store_order"]

    @admin.action(description="Resync the order from Miinto (customer, addresses, delivery)")
    def resync_order(self, request, queryset):
        from koongo.accounts.tenancy import merchant_scope
        from koongo.http import HttpError
        from orders.pushes import order_resync

        for order in queryset.select_related("connection", "merchant"):
            with merchant_scope(order.merchant):
                try:
                    order_resync(order)
                except HttpError as error:
                    self.message_user(request, f"{order}: {error}", level="warning")
        self.message_user(request, f"Resynced {queryset.count()} order(s).")

    @admin.action(description="Re-push the store order")
    def repush_store_order(self, request, queryset):
        count = 0
        for push in StorePush.objects.filter(order__in=queryset).exclude(state="done"):
            count += bool(outbox_retry(push))
        self.message_user(request, f"Queued {count} store push(es) again; done ones are left alone (the store has them).")


admin.site.register(DecisionPush, OutboxAdmin)
admin.site.register(StorePush, OutboxAdmin)

from orders.shipments import admin as admin_shipments  # noqa: E402,F401  (registers the shipments and labels admin)
