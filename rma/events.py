"""The webhook events of returns: each builds its payload and hands it to webhooks.events (one line at each call site)."""

from __future__ import annotations

from webhooks import event_types as t
from webhooks.events import emit, emit_many


def rmas_received(rmas) -> None:
    """rma.received for each new return from Miinto."""
    rmas = list(rmas)
    if not rmas:
        return
    events = [
        (
            {"connection_id": r.connection_id, "rma_id": r.pk, "miinto_id": r.miinto_id, "order_id": r.order_id,
             "amount": f"{r.amount:.2f}", "currency": r.currency},
            f"rma:{r.pk}",
        )
        for r in rmas
    ]
    emit_many(rmas[0].merchant_id, t.RMA_RECEIVED, events)


def rma_decided(rma) -> None:
    data = {"connection_id": rma.connection_id, "rma_id": rma.pk, "miinto_id": rma.miinto_id, "status": rma.status,
            "decided_by": rma.decided_by, "reason": rma.decision_reason}
    emit(rma.merchant_id, t.RMA_DECIDED, data, object_key=f"rma:{rma.pk}")


def refund_pushed(push, rma, store_refund_id) -> None:
    data = {"connection_id": push.connection_id, "rma_id": rma.pk, "store_refund_id": str(store_refund_id)}
    emit(rma.merchant_id, t.REFUND_PUSHED, data, object_key=f"rma:{rma.pk}")
