"""API serializers for orders, transfers, positions and decisions."""

from rest_framework import serializers

from orders.models import Decision, Order, OrderLine, Position, Transfer


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["outcome", "reason", "decided_by", "actor", "inputs", "created_at", "sent_at"]


class PositionSerializer(serializers.ModelSerializer):
    decision = DecisionSerializer(read_only=True, allow_null=True)
    product_sku = serializers.CharField(source="product.sku", default=None, allow_null=True, read_only=True)
    transfer_id = serializers.IntegerField(source="transfer.miinto_id", read_only=True)

    class Meta:
        model = Position
        fields = ["id", "miinto_id", "transfer_id", "quantity", "unit_price", "currency", "gtin", "item", "product", "product_sku", "status", "wait_reason", "decision"]


class DecisionSummarySerializer(DecisionSerializer):
    """A decision in a list: the outcome and why, without the raw inputs (those are in the detail view)."""

    class Meta(DecisionSerializer.Meta):
        fields = ["outcome", "reason", "decided_by", "actor", "created_at", "sent_at"]


class PositionSummarySerializer(PositionSerializer):
    """A position in a list: without Miinto's raw item and the decision's inputs."""

    decision = DecisionSummarySerializer(read_only=True, allow_null=True)

    class Meta(PositionSerializer.Meta):
        fields = [f for f in PositionSerializer.Meta.fields if f != "item"]


class TransferSerializer(serializers.ModelSerializer):
    positions = PositionSerializer(many=True, read_only=True)
    order_ids = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = ["id", "miinto_id", "connection", "created_at_miinto", "first_seen_at", "new_order_id", "order_ids", "positions"]

    def get_order_ids(self, transfer) -> list[int]:
        return [order.pk for order in transfer.orders.all()]


class TransferSummarySerializer(TransferSerializer):
    positions = PositionSummarySerializer(many=True, read_only=True)


class OrderLineSerializer(serializers.ModelSerializer):
    decision = DecisionSerializer(source="position.decision", read_only=True, default=None, allow_null=True)

    class Meta:
        model = OrderLine
        fields = ["miinto_position_id", "product", "sku", "gtin", "title", "quantity", "unit_price", "decision"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    market = serializers.CharField(source="connection.market", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id", "miinto_id", "parent_order_id", "connection", "market", "transfer", "currency", "status", "created_at_miinto", "created_at",
            "customer_name", "customer_email", "customer_phone", "billing_address", "shipping_address", "delivery_address",
            "delivery_type", "delivery_provider_id", "shipping_method", "warnings", "store_order_id", "store_order_name", "lines",
        ]


class OrderLineSummarySerializer(OrderLineSerializer):
    decision = DecisionSummarySerializer(source="position.decision", read_only=True, default=None, allow_null=True)


class OrderSummarySerializer(OrderSerializer):
    """An order in a list: its lines' decisions without their raw inputs."""

    lines = OrderLineSummarySerializer(many=True, read_only=True)


class DecideRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class TransferDecideSerializer(serializers.Serializer):
    """Decide several positions of one transfer at once; ids are Miinto position ids."""

    accept = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    decline = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, data):
        if not data["accept"] and not data["decline"]:
            raise serializers.ValidationError({"accept": "Name at least one position to accept or decline."})
        if set(data["accept"]) & set(data["decline"]):
            raise serializers.ValidationError({"decline": "A position cannot be both accepted and declined."})
        return data
