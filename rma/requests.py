"""Scenario 1: RMA requests on Miinto, from a refund made in the store or by hand; Miinto's 404/405 hands them to the
merchant ("create this RMA in the Miinto back office") instead of retrying forever.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from connections.sync.outbox import outbox_schedule
from koongo.http import PermanentError
from miinto.schemas import Return as WireReturn
from orders.models import Order
from rma import problems
from rma.imports import returns_upsert
from rma.linking import wire_quantities
from rma.models import Rma, RmaLine, RmaOrigin, RmaRequestPush, RmaStatus, StoreRefund, StoreRefundStatus
from rma.remote import miinto_about
from rma.scope import CN_MESSAGE, rma_scope

UNSUPPORTED_STATUSES = (404, 405)
# After a lost answer, the request we made is looked for among this many pages of Miinto's newest accepted returns.
RECONCILE_PAGES = 2
KEY_LIMIT = 200


def request_key_for(store_refund: StoreRefund) -> str:
    """The key a store refund's RMA request is filed under: unique per store and refund, short enough for the column."""
    key = f"rma-request-{store_refund.store_connection_id}-{store_refund.store_refund_id}"
    if len(key) <= KEY_LIMIT:
        return key
    digest = hashlib.sha256(store_refund.store_refund_id.encode()).hexdigest()
    return f"rma-request-{store_refund.store_connection_id}-{digest}"


def _positions(order: Order, quantities: dict[int, int]) -> list[dict]:
    """The requested positions with the SKU and amount (unit price incl. tax × quantity) the merchant will see."""
    lines = {line.miinto_position_id: line for line in order.lines.all()}
    return [
        {
            "miinto_position_id": pid,
            "sku": lines[pid].sku if pid in lines else "",
            "quantity": quantity,
            "amount": f"{(lines[pid].unit_price if pid in lines else Decimal('0')) * quantity:.2f}",
        }
        for pid, quantity in quantities.items()
    ]


def store_refund_request(store_refund: StoreRefund) -> RmaRequestPush:
    """Inside the caller's transaction: ask Miinto for an RMA with the refunded lines; once per store refund at most."""
    quantities = store_refund.position_quantities or {}
    push = RmaRequestPush.objects.create(
        merchant_id=store_refund.merchant_id,
        connection=store_refund.connection,
        order=store_refund.order,
        store_refund=store_refund,
        positions=_positions(store_refund.order, quantities),
        reason=f"Refunded in the store (refund {store_refund.store_refund_id})"[:500],
        actor="store refund",
        idempotency_key=store_refund.request_key,
    )
    store_refund.set_status(StoreRefundStatus.REQUESTED)
    store_refund.save(update_fields=["status"])
    outbox_schedule(push)
    return push


def returnable(order: Order) -> dict[int, int]:
    """Per position: ordered minus what RMAs (not declined) and our unanswered requests already cover."""
    left = {line.miinto_position_id: line.quantity for line in order.lines.all()}
    returned = (
        RmaLine.objects.filter(rma__order=order).exclude(rma__status=RmaStatus.DECLINED).values("miinto_position_id")
        .annotate(n=Sum("quantity"))
    )
    for row in returned:
        left[row["miinto_position_id"]] = left.get(row["miinto_position_id"], 0) - row["n"]
    for push in RmaRequestPush.objects.filter(order=order, rma__isnull=True).exclude(state="dead"):
        if push.miinto_unsupported:
            continue
        for pid, quantity in push.quantities.items():
            left[pid] = left.get(pid, 0) - quantity
    return left


def rma_request_create(*, merchant, order: Order, quantities: dict[int, int], reason: str, actor: str) -> RmaRequestPush:
    """A manual RMA request for goods returned without an RMA (scenario 1 by hand): positions and quantities."""
    scope = rma_scope(order.connection)
    if not scope:
        raise ValidationError(scope.reason, code="out_of_scope")
    quantities = {int(pid): int(q) for pid, q in quantities.items() if int(q) != 0}
    if not quantities:
        raise ValidationError({"lines": _("Name at least one order line and a quantity to return.")})
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).first()  # one request per order at a time: the check holds
        left = returnable(order)
        unknown = sorted(pid for pid in quantities if pid not in left)
        if unknown:
            raise ValidationError(
                {"lines": _("Not positions of Miinto order %(order)s: %(positions)s") % {"order": order.miinto_id, "positions": unknown}}
            )
        too_many = [
            _("%(position)s (at most %(left)s)") % {"position": pid, "left": max(0, left[pid])}
            for pid, q in quantities.items()
            if q < 0 or q > left[pid]
        ]
        if too_many:
            raise ValidationError({"lines": _("More than is left to return for positions %(positions)s.") % {"positions": ", ".join(too_many)}})
        push = RmaRequestPush.objects.create(
            merchant=merchant,
            connection=order.connection,
            order=order,
            positions=_positions(order, quantities),
            reason=(reason or "").strip()[:500],
            actor=actor[:200],
            idempotency_key=f"rma-request-manual-{uuid.uuid4().hex}",
        )
        outbox_schedule(push)
    return push


def rma_request_push_execute(push: RmaRequestPush) -> None:
    """POST the request; on a retry, first look for the RMA an earlier attempt may have made, so none is made twice."""
    if push.rma_id or push.miinto_unsupported:
        return
    connection, order = push.connection, push.order
    if connection.is_china:
        raise PermanentError(CN_MESSAGE)  # never queued for CN; a guard so no RMA call can reach Miinto for it
    with miinto_about(connection, problems.SUBJECT_ORDER_REFUNDS, order.pk, "create_rma_request") as client:
        if push.attempts > 1:
            made = _find_made(client, push)
            if made is not None:
                returns_upsert(connection, [made], link_to=push)
                return
        try:
            wire = client.create_rma_request(connection.shop_id, order.miinto_id, push.quantities, push.reason or None)
        except PermanentError as error:
            if error.status not in UNSUPPORTED_STATUSES:
                raise
            _hand_to_merchant(push, error.status)
            return
    returns_upsert(connection, [wire], link_to=push)


def _find_made(client, push: RmaRequestPush) -> WireReturn | None:
    """The merchant-made return for the same order and items, made after this request was written and not yet ours."""
    taken = set(Rma.objects.filter(connection=push.connection, request_push__isnull=False).values_list("miinto_id", flat=True))
    since = push.created_at - timedelta(minutes=5)
    for number, page in enumerate(client.return_pages(push.connection.shop_id, "accepted")):
        for wire in page.items:
            if (
                wire.origin == RmaOrigin.MERCHANT
                and wire.order_id == push.order.miinto_id
                and wire.id not in taken
                and (wire.created_at is None or wire.created_at >= since)
                and wire_quantities(wire) == push.quantities
            ):
                return wire
        if number + 1 >= RECONCILE_PAGES:
            break
    return None


@transaction.atomic
def _hand_to_merchant(push: RmaRequestPush, status: int) -> None:
    RmaRequestPush.objects.filter(pk=push.pk).update(result={"unsupported_status": status})
    push.result = {"unsupported_status": status}
    if push.store_refund_id:
        # The relation holds the refund's request key (see RmaRequestPush.store_refund), not its id.
        store_refund = StoreRefund.objects.select_for_update().get(request_key=push.store_refund_id)
        if store_refund.status == StoreRefundStatus.REQUESTED:
            store_refund.set_status(StoreRefundStatus.MANUAL)
            store_refund.save(update_fields=["status"])
    problems.back_office_raise(push, status)


def back_office_done(*, merchant, push: RmaRequestPush, by: str) -> None:
    """The merchant created the RMA in the Miinto back office: the item closes (Done)."""
    with transaction.atomic():
        if push.store_refund_id:
            store_refund = StoreRefund.objects.select_for_update().get(request_key=push.store_refund_id, merchant=merchant)
            if store_refund.status == StoreRefundStatus.MANUAL:
                store_refund.set_status(StoreRefundStatus.DONE)
                store_refund.resolved_by = by[:200]
                store_refund.save(update_fields=["status", "resolved_by"])
            problems.problems_close(merchant, problems.BACK_OFFICE, problems.SUBJECT_STORE_REFUND, store_refund.pk, by)
        else:
            problems.problems_close(merchant, problems.BACK_OFFICE, problems.SUBJECT_REQUEST, push.pk, by)


def rma_request_describe(push: RmaRequestPush) -> dict:
    """What the errors inbox says when an RMA request dies."""
    return {
        "connection": push.connection,
        "message": (
            f"The RMA request for Miinto order {push.order.miinto_id} ({problems.describe_lines(push.positions)}) failed and "
            f"will not be retried: {push.last_error}. Retry it, or create the RMA in the Miinto back office."
        ),
    }
