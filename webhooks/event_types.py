"""The event types an endpoint can subscribe to, with the sentence the dashboard and the OpenAPI schema show.

The sentences stay English here (the schema documents them); the dashboard and the API answer translate them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

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
    POSITION_DECIDED: N_("A Miinto position was accepted or declined (by hand or by the rule)"),
    ORDER_PUSHED: N_("An accepted order was created in the store"),
    ORDER_PUSH_FAILED: N_("Creating an order in the store failed for good"),
    SHIPMENT_SENT: N_("A shipment was sent to Miinto"),
    LABEL_READY: N_("A shipping label is ready to print"),
    RMA_RECEIVED: N_("A return (RMA) arrived from Miinto"),
    RMA_DECIDED: N_("A return was accepted or declined"),
    REFUND_PUSHED: N_("A refund was created in the store"),
    PROBLEM_OPENED: N_("A problem that needs a human was opened"),
    PROBLEM_CLOSED: N_("A problem was retried, handled or ignored"),
    CONNECTION_PAUSED: N_("A connection was paused (with the reason)"),
    CONNECTION_RESUMED: N_("A paused connection resumed"),
    CONNECTION_STALE: N_("A connection has not synced successfully for three times its interval"),
    RECONCILIATION_FINDING: N_("A reconciliation run found a mismatch between Miinto, Koongo and the store"),
}

EVENT_TYPE_CHOICES = [(key, gettext_lazy(text)) for key, text in EVENT_TYPES.items()]
