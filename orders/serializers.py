"""API serializers for orders, transfers, positions and decisions."""

from decimal import Decimal

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from orders import selectors
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
    """A transfer in a list, read from `selectors.transfer_summaries`' plain lists."""

    positions = PositionSummarySerializer(source="position_list", many=True, read_only=True)

    def get_order_ids(self, transfer) -> list[int]:
        return [order.pk for order in transfer.order_list]


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


def _converter(field):
    """The field's `to_representation`, or a shortcut to the same text: for a DateTimeField in ISO 8601, the zone is
    looked up once per page rather than once per value (DRF asks Django for the current zone on every timestamp); a
    Decimal already at the field's places, as the database returns it, is written without DRF's context copy and quantize."""
    if isinstance(field, serializers.DateTimeField) and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601:
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        if zone is not None:

            def iso(value):
                text = value.astimezone(zone).isoformat()
                return text[:-6] + "Z" if text.endswith("+00:00") else text

            return iso
    if _plain_decimal(field):
        exponent, slow = -field.decimal_places, field.to_representation

        def decimal_text(value):
            if isinstance(value, Decimal) and value.as_tuple().exponent == exponent:
                return f"{value:f}"
            return slow(value)

        return decimal_text
    return field.to_representation


def _plain_decimal(field) -> bool:
    """A DecimalField written as a plain string: not localized, not normalized, with fixed places."""
    return (
        isinstance(field, serializers.DecimalField) and field.decimal_places is not None and not field.localize
        and not field.normalize_output and getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    )  # fmt: skip


# The fields of each row serializer, built once: DRF builds a ModelSerializer's fields anew for every instance, which
# was a tenth of a list page's time. Only their `to_representation` is used, which reads nothing of the instance.
_row_fields: dict[type, dict] = {}


def _fields_of(serializer) -> dict:
    fields = _row_fields.get(type(serializer))
    if fields is None:
        fields = _row_fields[type(serializer)] = dict(serializer.fields)
    return fields


class OrderRowsSerializer(serializers.ListSerializer):
    """The order list from plain rows (`selectors.order_list_rows`) and one query for their lines (the view's merchant's).

    Each value still goes through its declared field's `to_representation`, so the JSON is the model path's, byte for
    byte; what is saved is the model instances, the prefetch machinery and DRF's per-field attribute walk.
    """

    def to_representation(self, data):
        rows = list(data)
        if not rows or not isinstance(rows[0], dict):
            return super().to_representation(rows)
        fields = _fields_of(self.child)
        line_fields = _fields_of(fields["lines"].child)
        decision_fields = _fields_of(line_fields["decision"])
        lines = selectors.order_lines_rows(self.context["view"].merchant, [row["pk"] for row in rows])
        plain = {"connection", "transfer", "lines", "id"}  # ids as they are; lines below
        converters = [(name, _converter(field)) for name, field in fields.items() if name not in plain]
        line_converters = [(name, _converter(field)) for name, field in line_fields.items() if name not in {"product", "decision"}]
        decision_converters = [(name, _converter(field)) for name, field in decision_fields.items()]

        def line(row):
            out = {name: None if row[name] is None else convert(row[name]) for name, convert in line_converters}
            out["product"] = row["product"]
            out["decision"] = None if row["decision_id"] is None else {
                name: None if row[f"decision_{name}"] is None else convert(row[f"decision_{name}"])
                for name, convert in decision_converters
            }  # fmt: skip
            return {name: out[name] for name in line_fields}

        result = []
        for row in rows:
            out = {name: None if row[name] is None else convert(row[name]) for name, convert in converters}
            out.update(id=row["pk"], connection=row["connection"], transfer=row["transfer"])
            out["lines"] = [line(item) for item in lines.get(row["pk"], [])]
            result.append({name: out[name] for name in fields})
        return result


class OrderSummarySerializer(OrderSerializer):
    """An order in a list: its lines' decisions without their raw inputs; a page of rows renders through OrderRowsSerializer."""

    lines = OrderLineSummarySerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        list_serializer_class = OrderRowsSerializer


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
