"""The webhook events of orders: each builds its payload and hands it to webhooks.events (one line at each call site)."""

from __future__ import annotations

from webhooks import event_types as t
from webhooks.events import emit, emit_many

DECIDED = {"accept": "accepted", "decline": "declined"}


def positions_decided(decisions) -> None:
    """position.decided for each new decision, in order per transfer."""
    if not decisions:
        return
    events = [
        (
            {
                "connection_id": d.position.connection_id, "transfer_id": d.position.transfer_id, "position_id": d.position.pk,
                "miinto_position_id": str(d.position.miinto_id), "outcome": DECIDED.get(d.outcome, d.outcome),
                "decided_by": d.decided_by, "reason": d.reason,
            },
            f"transfer:{d.position.transfer_id}",
        )
        for d in decisions
    ]
    emit_many(decisions[0].merchant_id, t.POSITION_DECIDED, events)


def orders_pushed(pushed: list) -> None:
    """order.pushed for each (order, result) whose store order now exists (a Stock only push creates none)."""
    events = [
        ({"connection_id": order.connection_id, "order_id": order.pk, "miinto_order_id": str(order.miinto_id),
          "store_order_id": str(result["store_order_id"])}, f"order:{order.pk}")
        for order, result in pushed if "store_order_id" in result
    ]
    if events:
        emit_many(pushed[0][0].merchant_id, t.ORDER_PUSHED, events)


def order_push_failed(push) -> None:
    """order.push_failed when the store push gave up (its outbox row died)."""
    order = push.order
    data = {"connection_id": order.connection_id, "order_id": order.pk, "miinto_order_id": str(order.miinto_id),
            "error": push.last_error[:500]}
    emit(order.merchant_id, t.ORDER_PUSH_FAILED, data, object_key=f"order:{order.pk}")


def shipment_sent(shipment) -> None:
    data = {"connection_id": shipment.connection_id, "order_id": shipment.order_id, "shipment_id": shipment.pk,
            "tracking_number": shipment.tracking_number, "carrier": shipment.provider_name or shipment.carrier}
    emit(shipment.merchant_id, t.SHIPMENT_SENT, data, object_key=f"order:{shipment.order_id}")


def label_ready(label) -> None:
    data = {"connection_id": label.connection_id, "order_id": label.order_id, "label_id": label.pk}
    emit(label.merchant_id, t.LABEL_READY, data, object_key=f"order:{label.order_id}")
