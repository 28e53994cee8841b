"""API serializers for RMAs, their lines and decisions, store refunds, and RMA requests."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rma.models import RefundPush, Rma, RmaDecisionPush, RmaLine, RmaRequestPush, RmaStatus, StoreRefund


@extend_schema_field({"type": "string", "enum": RmaStatus.values, "description": "pending → accepted or declined"})
class RmaStatusField(serializers.CharField):
    """An RMA's status, described inline: its values are the same set as a position's, which would share one enum name."""


class RmaLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.sku", default=None, allow_null=True, read_only=True)

    class Meta:
        model = RmaLine
        fields = ["miinto_id", "miinto_position_id", "sku", "quantity", "unit_price", "amount", "reason"]


class DecisionPushSerializer(serializers.ModelSerializer):
    class Meta:
        model = RmaDecisionPush
        fields = ["outcome", "reason", "decided_by", "actor", "state", "attempts", "last_error", "created_at", "done_at"]


class RefundPushSerializer(serializers.ModelSerializer):
    class Meta:
        model = RefundPush
        fields = ["state", "attempts", "last_error", "restock", "result", "created_at", "done_at"]


class RmaSerializer(serializers.ModelSerializer):
    lines = RmaLineSerializer(many=True, read_only=True)
    market = serializers.CharField(source="connection.market", read_only=True)
    status = RmaStatusField(read_only=True)
    pending_decision = serializers.SerializerMethodField()
    refund_push = serializers.SerializerMethodField()

    class Meta:
        model = Rma
        fields = [
            "id", "miinto_id", "miinto_order_id", "order", "connection", "market", "origin", "status", "currency", "amount",
            "reason", "customer_comment", "decided_by", "decision_reason", "actor", "created_at_miinto", "decided_at",
            "first_seen_at", "lines", "pending_decision", "refund_push",
        ]

    def get_pending_decision(self, rma) -> dict | None:
        """Our decision on its way to Miinto (the status changes once Miinto confirms it)."""
        push = getattr(rma, "decision_push", None)
        return DecisionPushSerializer(push).data if push is not None and rma.is_pending else None

    def get_refund_push(self, rma) -> dict | None:
        push = getattr(rma, "refund_push", None)
        return RefundPushSerializer(push).data if push is not None else None


class RmaDecisionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, error_messages={"required": _("A reason is required."), "blank": _("A reason is required.")})


class StoreRefundSerializer(serializers.ModelSerializer):
    rma_miinto_id = serializers.IntegerField(source="rma.miinto_id", default=None, allow_null=True, read_only=True)
    order_miinto_id = serializers.IntegerField(source="order.miinto_id", read_only=True)

    class Meta:
        model = StoreRefund
        fields = [
            "id", "store_refund_id", "store_connection", "connection", "order", "order_miinto_id", "store_order_id", "origin",
            "item_level", "lines", "shipping_amount", "total", "currency", "note", "created_at_store", "first_seen_at", "status",
            "rma", "rma_miinto_id",
        ]


class RequestLineSerializer(serializers.Serializer):
    miinto_position_id = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1)


class RmaRequestCreateSerializer(serializers.Serializer):
    lines = RequestLineSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RmaRequestSerializer(serializers.ModelSerializer):
    # The relation points at the refund's request key, not its id: the API shows the id.
    store_refund = serializers.IntegerField(source="store_refund.pk", default=None, allow_null=True, read_only=True)
    rma_miinto_id = serializers.IntegerField(source="rma.miinto_id", default=None, allow_null=True, read_only=True)
    miinto_unsupported = serializers.BooleanField(read_only=True)

    class Meta:
        model = RmaRequestPush
        fields = [
            "id", "order", "store_refund", "positions", "reason", "actor", "state", "attempts", "last_error", "result",
            "miinto_unsupported", "rma", "rma_miinto_id", "created_at", "done_at",
        ]
