"""API serializers for shipments, Mark as shipped, label links, order comments and carrier mappings."""

from __future__ import annotations

from rest_framework import serializers

from orders.models import CarrierMapping, LabelLink, OrderComment, Shipment


class ShipmentSerializer(serializers.ModelSerializer):
    push_state = serializers.CharField(source="push.state", default=None, allow_null=True, read_only=True)
    last_error = serializers.CharField(source="push.last_error", default="", read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "source",
            "store_shipment_id",
            "carrier",
            "tracking_number",
            "tracking_url",
            "provider_id",
            "provider_name",
            "provider_source",
            "position_ids",
            "status",
            "status_detail",
            "actor",
            "miinto_shipment_id",
            "created_at",
            "sent_at",
            "push_state",
            "last_error",
        ]
        read_only_fields = fields


class MarkShippedSerializer(serializers.Serializer):
    """Mark a Stock only order shipped: a provider from Miinto's list for the order, the tracking number, the positions."""

    provider_id = serializers.CharField(max_length=64)
    tracking_number = serializers.CharField(max_length=200)
    tracking_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    position_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Miinto position ids; all unsent positions when empty",
    )


class ProviderSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class LabelLinkSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="label.order_id", read_only=True)
    url = serializers.SerializerMethodField()
    revoked = serializers.BooleanField(source="is_revoked", read_only=True)
    size = serializers.IntegerField(source="label.size", read_only=True)
    fetched_at = serializers.DateTimeField(source="label.fetched_at", read_only=True)
    store_note = serializers.CharField(source="note_push.state", default=None, allow_null=True, read_only=True)

    class Meta:
        model = LabelLink
        fields = [
            "id",
            "order",
            "url",
            "revoked",
            "revoked_at",
            "revoked_by",
            "created_at",
            "size",
            "fetched_at",
            "downloads",
            "last_downloaded_at",
            "store_note",
        ]
        read_only_fields = fields

    def get_url(self, link) -> str | None:
        from orders.shipments.labels import label_url

        return None if link.is_revoked else label_url(link)


class CommentSerializer(serializers.ModelSerializer):
    label_url = serializers.SerializerMethodField()

    class Meta:
        model = OrderComment
        fields = ["id", "order", "author", "body", "label_link", "label_url", "created_at"]
        read_only_fields = ["id", "order", "author", "label_link", "label_url", "created_at"]

    def get_label_url(self, comment) -> str | None:
        from orders.shipments.labels import label_url

        link = comment.label_link
        return label_url(link) if link is not None and not link.is_revoked else None


class CarrierMappingSerializer(serializers.ModelSerializer):
    # A plain id, checked against the merchant's connections in the view: no queryset is built in a class body.
    connection = serializers.IntegerField(source="connection_id")

    class Meta:
        model = CarrierMapping
        fields = ["id", "connection", "carrier", "carrier_key", "provider_id", "provider_name", "created_at", "updated_at"]
        read_only_fields = ["id", "carrier_key", "provider_name", "created_at", "updated_at"]
