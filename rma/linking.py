"""Linking an RMA that Miinto made from one of our RMA requests back to that request (and its store refund)."""

from __future__ import annotations

from miinto.schemas import Return as WireReturn
from rma import problems
from rma.models import DecidedBy, Rma, RmaRequestPush, StoreRefundStatus


def wire_quantities(wire: WireReturn) -> dict[int, int]:
    found: dict[int, int] = {}
    for position in wire.positions:
        found[position.order_position_id] = found.get(position.order_position_id, 0) + position.quantity
    return found


def request_push_link(rma: Rma, wire: WireReturn, *, push: RmaRequestPush | None = None) -> RmaRequestPush | None:
    """Inside the caller's transaction: tie a merchant-made RMA to the request it came from, and record who decided it.

    `push` is the request whose answer this is; without it (the import), the oldest request already sent for the same
    order and items that has no RMA yet is taken, which includes one the merchant had to create in the back office.
    """
    if push is None:
        candidates = RmaRequestPush.objects.filter(
            connection_id=rma.connection_id, order__miinto_id=wire.order_id, rma__isnull=True, attempts__gte=1
        ).order_by("pk")
        push = next((c for c in candidates.select_for_update(of=("self",)) if c.quantities == wire_quantities(wire)), None)
        if push is None:
            return None
    push.rma = rma
    push.save(update_fields=["rma"])
    rma.decided_by = DecidedBy.STORE_REFUND if push.store_refund_id else DecidedBy.MERCHANT
    rma.actor, rma.decision_reason = push.actor, push.reason
    rma.save(update_fields=["decided_by", "actor", "decision_reason"])
    store_refund = push.store_refund
    if store_refund is not None:
        store_refund.rma = rma
        if store_refund.status == StoreRefundStatus.MANUAL:
            # The merchant created it in the back office as asked: the item is done.
            store_refund.set_status(StoreRefundStatus.DONE)
            store_refund.resolved_by = "seen in Miinto"
        store_refund.save(update_fields=["rma", "status", "resolved_by"])
        problems.problems_close(rma.merchant, problems.BACK_OFFICE, problems.SUBJECT_STORE_REFUND, store_refund.pk, "seen in Miinto")
    elif push.miinto_unsupported:
        problems.problems_close(rma.merchant, problems.BACK_OFFICE, problems.SUBJECT_REQUEST, push.pk, "seen in Miinto")
    return push
