"""The `refunds` flow: store refunds found by polling `refunds_since` (watermark minus the adapter's overlap) or announced
by a verified webhook. A refund of ours is only recorded; a store refund accepts the pending RMA with the same items,
becomes an RMA request when no pending RMA shares an item, and goes to Needs attention when it only partly matches.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from connections import clients
from connections.models import Direction, MiintoConnection, StoreConnection, Trigger
from connections.sync.activity import activity_record
from connections.sync.runs import RunContext, SyncRefused, sync_request
from orders.models import Order, OrderLine
from platforms.values import StoreRefund as WireRefund
from platforms.values import WebhookEvent
from rma import problems
from rma.configuration import rma_settings_for
from rma.decisions import ACTIVE_PUSH_STATES, rma_decide
from rma.lines import store_refund_lines
from rma.matching import MatchKind, match_refund
from rma.models import DecidedBy, RefundOrigin, Rma, RmaDecisionPush, RmaStatus, StoreRefund, StoreRefundStatus
from rma.outbox import rma_rows_execute
from rma.requests import request_key_for, store_refund_request
from rma.scope import refund_sync_scope


def refunds_flow(ctx: RunContext) -> None:
    """One run for one connection: list the store's refunds since the watermark, record and act on the new ones."""
    connection = ctx.connection
    scope = refund_sync_scope(connection)
    if not scope:
        ctx.note_error(scope.reason)
        return
    settings = rma_settings_for(connection)
    started = timezone.now()
    since = settings.refunds_watermark or connection.created_at
    with clients.store_adapter(connection.store_connection, on_call=ctx.recorder(Direction.TO_STORE)) as adapter:
        found = adapter.refunds_since(since)
    counts = store_refunds_record(connection, found)
    ctx.bump(seen=len(found), skipped=counts["skipped"], accepted=counts["accepted_rma"])
    settings.refunds_watermark = started
    settings.save(update_fields=["refunds_watermark"])
    ctx.bump(pushed=rma_rows_execute(connection))


def _orders_by_store_id(connection: MiintoConnection, refunds: list[WireRefund]) -> dict[str, Order]:
    wanted = {r.order.id for r in refunds}
    orders = Order.objects.filter(connection=connection, store_order_id__in=wanted).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
    )
    return {order.store_order_id: order for order in orders}


def store_refunds_record(connection: MiintoConnection, refunds: Iterable[WireRefund]) -> dict[str, int]:
    """Record the refunds not seen before that belong to this connection's Miinto orders, and act on each store refund.

    Refunds on other orders (not from Miinto, or another connection's) are skipped. Known ids cost nothing: the
    overlap window re-lists them every run.
    """
    refunds = list(refunds)
    store = connection.store_connection
    known = set(
        StoreRefund.objects.filter(store_connection=store, store_refund_id__in=[r.refund_id for r in refunds]).values_list(
            "store_refund_id", flat=True
        )
    )
    orders = _orders_by_store_id(connection, [r for r in refunds if r.refund_id not in known])
    counts = {"skipped": 0, "recorded": 0, **{status.value: 0 for status in StoreRefundStatus}}
    for refund in refunds:
        order = orders.get(refund.order.id)
        if refund.refund_id in known or order is None:
            counts["skipped"] += refund.refund_id not in known
            continue
        recorded = _record_one(connection, store, order, refund)
        if recorded is not None:
            counts["recorded"] += 1
            counts[recorded.status] += 1
    return counts


def _record_one(connection: MiintoConnection, store: StoreConnection, order: Order, refund: WireRefund) -> StoreRefund | None:
    ours = refund.origin_key is not None
    try:
        with transaction.atomic():
            store_refund = StoreRefund(
                merchant_id=connection.merchant_id,
                connection=connection,
                store_connection=store,
                order=order,
                store_refund_id=refund.refund_id,
                store_order_id=refund.order.id,
                origin=RefundOrigin.OURS if ours else RefundOrigin.STORE,
                origin_key=refund.origin_key or "",
                item_level=refund.item_level,
                lines=store_refund_lines(refund, order.lines.all()),
                shipping_amount=refund.shipping_amount,
                total=refund.total.amount,
                currency=refund.total.currency,
                note=refund.note[:2000],
                created_at_store=refund.created_at,
                status=StoreRefundStatus.RECORDED if ours else StoreRefundStatus.NEW,
                rma=Rma.objects.filter(refund_key=refund.origin_key).first() if ours else None,
            )
            if not ours:
                store_refund.request_key = request_key_for(store_refund)
            store_refund.save()
            activity_record(
                merchant=connection.merchant,
                direction=Direction.FROM_STORE,
                operation=f"{'our' if ours else 'store'} refund {refund.refund_id} seen",
                connection=connection,
                store_connection=store,
                subject_type=problems.SUBJECT_ORDER_REFUNDS,
                subject_id=order.pk,
                payload=refund.model_dump(mode="json"),
            )
            if not ours:
                store_refund_act(store_refund)
            return store_refund
    except IntegrityError:
        # Recorded at the same moment by another run (a webhook's and the schedule's); that one acts on it.
        return None


def _pending_rmas(order: Order) -> list[Rma]:
    """Pending RMAs of the order that no decision of ours is already settling, oldest first, with their lines."""
    deciding = Exists(RmaDecisionPush.objects.filter(rma=OuterRef("pk"), state__in=ACTIVE_PUSH_STATES))
    return list(
        Rma.objects.filter(order=order, status=RmaStatus.PENDING)
        .annotate(deciding=deciding)
        .prefetch_related("lines")
        .order_by("created_at_miinto", "pk")
    )


def _quantities(rma: Rma) -> dict[int, int]:
    found: dict[int, int] = {}
    for line in rma.lines.all():
        found[line.miinto_position_id] = found.get(line.miinto_position_id, 0) + line.quantity
    return found


def store_refund_act(store_refund: StoreRefund) -> str:
    """Inside the caller's transaction: accept the matching pending RMA, request a new one, or ask the merchant."""
    pending = _pending_rmas(store_refund.order)
    match = match_refund(
        store_refund.position_quantities,
        [(rma.pk, _quantities(rma)) for rma in pending],
        item_level=store_refund.item_level,
    )
    by_id = {rma.pk: rma for rma in pending}
    if match.kind == MatchKind.EXACT:
        rma = by_id[match.rma_ids[0]]
        if rma.deciding:
            # The merchant is deciding this RMA right now: accepting it here too could refund the buyer twice.
            return _needs_attention(store_refund, f"it matches RMA {rma.miinto_id}, which is being decided at the same time.")
        store_refund_accept_rma(store_refund, rma)
        return MatchKind.EXACT
    if match.kind == MatchKind.NONE:
        store_refund_request(store_refund)
        return MatchKind.NONE
    if match.kind == MatchKind.UNKNOWN_ITEMS:
        return _needs_attention(store_refund, "its items match no line of the Miinto order, so nothing is done on a guess.")
    numbers = ", ".join(str(by_id[pk].miinto_id) for pk in match.rma_ids)
    if not store_refund.item_level:
        why = f"the store records no items for it, so it is not matched to pending RMA {numbers} on a guess."
    else:
        why = f"it shares items with pending RMA {numbers} but not all of them."
    return _needs_attention(store_refund, why)


def _needs_attention(store_refund: StoreRefund, why: str) -> str:
    store_refund.set_status(StoreRefundStatus.NEEDS_ATTENTION)
    store_refund.save(update_fields=["status"])
    problems.mismatch_raise(store_refund, why)
    return MatchKind.PARTIAL


def store_refund_accept_rma(store_refund: StoreRefund, rma: Rma, *, actor: str = "store refund") -> None:
    """The refund accepts the RMA on Miinto (decided_by = store refund): the store has the refund, so none is pushed."""
    rma_decide(
        merchant=store_refund.merchant,
        rma=rma,
        outcome="accepted",
        reason=f"Refunded in the store (refund {store_refund.store_refund_id})",
        actor=actor,
        decided_by=DecidedBy.STORE_REFUND,
        store_refund=store_refund,
    )
    store_refund.set_status(StoreRefundStatus.ACCEPTED_RMA)
    store_refund.rma = rma
    store_refund.save(update_fields=["status", "rma"])


def refund_webhook_received(store: StoreConnection, event: WebhookEvent) -> None:
    """A verified refund webhook brings the refunds run of every connection on that store forward; the run dedupes."""
    for connection in MiintoConnection.objects.filter(store_connection=store).select_related("merchant", "order_configuration"):
        activity_record(
            merchant=connection.merchant,
            direction=Direction.FROM_STORE,
            operation=f"webhook {event.topic}",
            connection=connection,
            store_connection=store,
            payload={"delivery": event.delivery_id, "order": event.order_id, "refund": event.object_id},
        )
        if not refund_sync_scope(connection):
            continue
        try:
            sync_request(connection=connection, flow="refunds", trigger=Trigger.SCHEDULE)
        except SyncRefused:
            continue  # paused or disabled meanwhile: the next scheduled run after resuming reads the refund
