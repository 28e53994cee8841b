"""The `data` of each event type, as serializers: the OpenAPI schema documents them, the tests check emitted payloads."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from webhooks import event_types as t


class _Data(serializers.Serializer):
    connection_id = serializers.IntegerField(allow_null=True, help_text="The Miinto connection it concerns")


class PositionDecided(_Data):
    transfer_id = serializers.IntegerField()
    position_id = serializers.IntegerField()
    miinto_position_id = serializers.CharField()
    outcome = serializers.CharField(help_text="accepted or declined")
    decided_by = serializers.CharField(help_text="rule or human")
    reason = serializers.CharField(allow_blank=True)


class OrderPushed(_Data):
    order_id = serializers.IntegerField()
    miinto_order_id = serializers.CharField()
    store_order_id = serializers.CharField()


class OrderPushFailed(_Data):
    order_id = serializers.IntegerField()
    miinto_order_id = serializers.CharField()
    error = serializers.CharField()


class ShipmentSent(_Data):
    order_id = serializers.IntegerField()
    shipment_id = serializers.IntegerField()
    tracking_number = serializers.CharField(allow_blank=True)
    carrier = serializers.CharField(allow_blank=True)


class LabelReady(_Data):
    order_id = serializers.IntegerField()
    label_id = serializers.IntegerField(help_text="The label PDF is linked from the order's comments and the dashboard")


class RmaReceived(_Data):
    rma_id = serializers.IntegerField()
    miinto_id = serializers.IntegerField()
    order_id = serializers.IntegerField(allow_null=True)
    amount = serializers.CharField()
    currency = serializers.CharField()


class RmaDecided(_Data):
    rma_id = serializers.IntegerField()
    miinto_id = serializers.IntegerField()
    status = serializers.CharField(help_text="accepted or declined")
    decided_by = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)


class RefundPushed(_Data):
    rma_id = serializers.IntegerField()
    store_refund_id = serializers.CharField()


class ProblemChanged(_Data):
    problem_id = serializers.IntegerField()
    kind = serializers.CharField()
    message = serializers.CharField()
    state = serializers.CharField(help_text="open, retried, handled or ignored")


class ConnectionPaused(_Data):
    reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True, help_text="miinto_credentials, store_credentials, plan or manual")
    paused_at = serializers.DateTimeField(allow_null=True)


class ConnectionStale(_Data):
    stale_since = serializers.DateTimeField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class ReconciliationFinding(_Data):
    run_id = serializers.IntegerField()
    finding_id = serializers.IntegerField()
    kind = serializers.CharField()
    detail = serializers.DictField()


class Test(serializers.Serializer):
    endpoint_id = serializers.IntegerField()
    message = serializers.CharField()


DATA = {
    t.POSITION_DECIDED: PositionDecided,
    t.ORDER_PUSHED: OrderPushed,
    t.ORDER_PUSH_FAILED: OrderPushFailed,
    t.SHIPMENT_SENT: ShipmentSent,
    t.LABEL_READY: LabelReady,
    t.RMA_RECEIVED: RmaReceived,
    t.RMA_DECIDED: RmaDecided,
    t.REFUND_PUSHED: RefundPushed,
    t.PROBLEM_OPENED: ProblemChanged,
    t.PROBLEM_CLOSED: ProblemChanged,
    t.CONNECTION_PAUSED: ConnectionPaused,
    t.CONNECTION_RESUMED: ConnectionPaused,
    t.CONNECTION_STALE: ConnectionStale,
    t.RECONCILIATION_FINDING: ReconciliationFinding,
    t.TEST: Test,
}


def _envelope(event_type: str, data: type[serializers.Serializer]) -> type[serializers.Serializer]:
    name = "WebhookEvent" + "".join(part.title() for part in event_type.replace(".", "_").split("_"))
    fields = {
        "type": serializers.ChoiceField(choices=[event_type]),
        "timestamp": serializers.DateTimeField(),
        "data": data(),
        "Meta": type("Meta", (), {"ref_name": name}),
        "__doc__": t.EVENT_TYPES.get(event_type, "A test event sent from the dashboard or the API"),
    }
    return type(name, (serializers.Serializer,), fields)


ENVELOPES = {event_type: _envelope(event_type, data) for event_type, data in DATA.items()}

# The request body of a delivery, one schema per event type (header `webhook-id` etc. are the Standard Webhooks ones).
EVENT_PAYLOAD = PolymorphicProxySerializer(
    component_name="WebhookEvent",
    serializers={event_type: envelope() for event_type, envelope in ENVELOPES.items()},
    resource_type_field_name="type",
)
