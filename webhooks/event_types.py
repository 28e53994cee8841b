"""The event types an endpoint can subscribe to, with the sentence the dashboard and the OpenAPI schema show."""

from __future__ import annotations

POSITION_DECIDED = "position.decided"
ORDER_PUSHED = "order.pushed"
ORDER_PUSH_FAILED = "order.push_failed"
SHIPMENT_SENT = "shipment.sent"
LABEL_READY = "label.ready"
RMA_RECEIVED = "rma.received"
RMA_DECIDED = "rma.decided"
REFUND_PUSHED = "refund.pushed"
PROBLEM_OPENED = "problem.opened"
PROBLEM_CLOSED = "problem.closed"
CONNECTION_PAUSED = "connection.paused"
CONNECTION_RESUMED = "connection.resumed"
CONNECTION_STALE = "connection.stale"
RECONCILIATION_FINDING = "reconciliation.finding"
# Sent by the "Send test event" button only; nobody subscribes to it.
TEST = "webhook.test"

EVENT_TYPES: dict[str, str] = {
    POSITION_DECIDED: "A Miinto position was accepted or declined (by hand or by the rule)",
    ORDER_PUSHED: "An accepted order was created in the store",
    ORDER_PUSH_FAILED: "Creating an order in the store failed for good",
    SHIPMENT_SENT: "A shipment was sent to Miinto",
    LABEL_READY: "A shipping label is ready to print",
    RMA_RECEIVED: "A return (RMA) arrived from Miinto",
    RMA_DECIDED: "A return was accepted or declined",
    REFUND_PUSHED: "A refund was created in the store",
    PROBLEM_OPENED: "A problem that needs a human was opened",
    PROBLEM_CLOSED: "A problem was retried, handled or ignored",
    CONNECTION_PAUSED: "A connection was paused (with the reason)",
    CONNECTION_RESUMED: "A paused connection resumed",
    CONNECTION_STALE: "A connection has not synced successfully for three times its interval",
    RECONCILIATION_FINDING: "A reconciliation run found a mismatch between Miinto, Koongo and the store",
}

EVENT_TYPE_CHOICES = list(EVENT_TYPES.items())
