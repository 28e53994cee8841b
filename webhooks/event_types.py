"""The event types an endpoint can subscribe to, with the sentence the dashboard and the OpenAPI schema show.

The sentences stay English here (the schema documents them); the dashboard and the API answer translate them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

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
    POSITION_DECIDED: gettext_noop("A Miinto position was accepted or declined (by hand or by the rule)"),
    ORDER_PUSHED: gettext_noop("An accepted order was created in the store"),
    ORDER_PUSH_FAILED: gettext_noop("Creating an order in the store failed for good"),
    SHIPMENT_SENT: gettext_noop("A shipment was sent to Miinto"),
    LABEL_READY: gettext_noop("A shipping label is ready to print"),
    RMA_RECEIVED: gettext_noop("A return (RMA) arrived from Miinto"),
    RMA_DECIDED: gettext_noop("A return was accepted or declined"),
    REFUND_PUSHED: gettext_noop("A refund was created in the store"),
    PROBLEM_OPENED: gettext_noop("A problem that needs a human was opened"),
    PROBLEM_CLOSED: gettext_noop("A problem was retried, handled or ignored"),
    CONNECTION_PAUSED: gettext_noop("A connection was paused (with the reason)"),
    CONNECTION_RESUMED: gettext_noop("A paused connection resumed"),
    CONNECTION_STALE: gettext_noop("A connection has not synced successfully for three times its interval"),
    RECONCILIATION_FINDING: gettext_noop("A reconciliation run found a mismatch between Miinto, Koongo and the store"),
}

EVENT_TYPE_CHOICES = [(key, gettext_lazy(text)) for key, text in EVENT_TYPES.items()]
