"""Admin for shipments, carrier mappings, labels, label links, comments and their outbox rows, across merchants."""

from django.contrib import admin

from connections.sync.admin import OutboxAdmin
from orders.models import (
    CarrierMapping,
    Label,
    LabelFetch,
    LabelLink,
    LabelNotePush,
    OrderComment,
    Shipment,
    ShipmentPoll,
    ShipmentPush,
)


@admin.register(CarrierMapping)
class CarrierMappingAdmin(admin.ModelAdmin):
    list_display = ["carrier", "provider_name", "provider_id", "connection", "merchant", "updated_at"]
    list_filter = ["connection__market"]
    search_fields = ["carrier", "provider_id", "provider_name", "merchant__name"]
    list_select_related = ["connection", "merchant"]
    readonly_fields = ["carrier_key"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "order",
        "merchant",
        "source",
        "carrier",
        "tracking_number",
        "provider_id",
        "status",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "source", "provider_source", "connection__market"]
    search_fields = ["tracking_number", "store_shipment_id", "carrier", "order__miinto_id", "merchant__name"]
    list_select_related = ["order", "merchant"]
    raw_id_fields = ["order"]
    actions = ["retry_push"]

    @admin.action(description="Retry sending to Miinto")
    def retry_push(self, request, queryset):
        from connections.sync.outbox import outbox_retry

        count = sum(1 for push in ShipmentPush.objects.filter(shipment__in=queryset) if outbox_retry(push))
        self.message_user(request, f"Queued {count} shipment(s) again; sent ones are left alone.")


@admin.register(ShipmentPoll)
class ShipmentPollAdmin(admin.ModelAdmin):
    list_display = ["connection", "merchant", "watermark", "swept_at"]
    list_select_related = ["connection", "merchant"]


@admin.register(LabelFetch)
class LabelFetchAdmin(admin.ModelAdmin):
    list_display = ["order", "merchant", "state", "attempts", "next_attempt_at", "fetched_at", "last_error"]
    list_filter = ["state"]
    search_fields = ["order__miinto_id", "merchant__name"]
    list_select_related = ["order", "merchant"]
    raw_id_fields = ["order"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["order", "merchant", "size", "fetched_at"]
    search_fields = ["order__miinto_id", "merchant__name", "sha256"]
    list_select_related = ["order", "merchant"]
    raw_id_fields = ["order"]


@admin.register(LabelLink)
class LabelLinkAdmin(admin.ModelAdmin):
    """The token is never shown here: only its digest, the state and the counts."""

    list_display = ["pk", "label", "merchant", "created_at", "revoked_at", "downloads", "last_downloaded_at"]
    list_filter = ["revoked_at"]
    search_fields = ["label__order__miinto_id", "merchant__name"]
    list_select_related = ["label", "merchant"]
    exclude = ["token"]
    readonly_fields = ["label", "token_hash", "created_at", "downloads", "last_downloaded_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke (the link answers 404 from now on)")
    def revoke(self, request, queryset):
        from koongo.accounts.tenancy import merchant_scope
        from orders.shipments.labels import label_link_revoke

        count = 0
        for link in queryset.filter(revoked_at__isnull=True).select_related("merchant"):
            with merchant_scope(link.merchant):
                label_link_revoke(merchant=link.merchant, link=link, by=f"admin:{request.user.get_username()}")
            count += 1
        self.message_user(request, f"Revoked {count} link(s).")


@admin.register(OrderComment)
class OrderCommentAdmin(admin.ModelAdmin):
    list_display = ["order", "merchant", "author", "created_at"]
    search_fields = ["order__miinto_id", "author", "body", "merchant__name"]
    list_select_related = ["order", "merchant"]
    raw_id_fields = ["order", "label_link"]


admin.site.register(ShipmentPush, OutboxAdmin)
admin.site.register(LabelNotePush, OutboxAdmin)
