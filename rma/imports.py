"""The `rma` flow: read Miinto returns (pending ones in full, decided ones back to the watermark minus an overlap),
upsert them in bulk, quarantine malformed ones, notice decisions made in Miinto itself, and link returns that came
before their order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from connections import clients
from connections.models import Direction, MiintoConnection
from connections.sync.runs import RunContext
from miinto.schemas import Return as WireReturn
from orders.ingest import from_date_start, quarantine_rejects
from orders.models import Order, OrderLine
from rma import events as rma_events
from rma.configuration import rma_settings_for
from rma.decisions import ACTIVE_PUSH_STATES, rma_record_decision
from rma.linking import request_push_link
from rma.models import DecidedBy, Rma, RmaDecisionPush, RmaLine, RmaOrigin, RmaStatus
from rma.notifications import rma_digest_send
from rma.orphans import orphans_hand_over, orphans_link
from rma.outbox import rma_rows_execute
from rma.scope import rma_scope

PAGE_SIZE = 50
# Decided returns are re-read this far behind the watermark, so one decided while a run was listing is not missed.
OVERLAP = timedelta(minutes=30)
DECIDED = ("accepted", "declined")


def rma_flow(ctx: RunContext) -> None:
    """One run for one connection; each page commits on its own, then the due RMA rows run and the digest goes out."""
    connection = ctx.connection
    scope = rma_scope(connection)
    if not scope:
        ctx.note_error(scope.reason)
        return
    settings = rma_settings_for(connection)
    started = timezone.now()
    from_start = from_date_start(connection.order_configuration)
    cutoff = (settings.returns_watermark or connection.created_at) - OVERLAP
    if from_start is not None:
        cutoff = max(cutoff, from_start)
    with clients.miinto_client(connection, on_call=ctx.recorder(Direction.TO_MIINTO)) as client:
        seen_pending: set[int] = set()
        for page in client.return_pages(connection.shop_id, "pending", page_size=PAGE_SIZE):
            seen_pending.update(r.id for r in page.items)
            _import_page(ctx, connection, page, lambda r: from_start is None or _created(r) >= from_start)
        for page in client.return_pages(connection.shop_id, DECIDED, page_size=PAGE_SIZE):
            _import_page(ctx, connection, page, lambda r: _created(r) >= cutoff)
            if page.items and min(_created(r) for r in page.items) < cutoff:
                break  # newest first: everything further back is older than the window
        for rma in _vanished(connection, seen_pending):
            wire = client.return_(connection.shop_id, rma.miinto_id)
            if wire.status in DECIDED:
                _record_miinto_decision(rma.pk, wire)
    settings.returns_watermark = started
    settings.save(update_fields=["returns_watermark"])
    orphans_link(connection)
    orphans_hand_over(connection)
    ctx.bump(pushed=rma_rows_execute(connection))
    rma_digest_send(connection)


def _created(wire: WireReturn) -> datetime:
    # A return without a time is treated as new: it is never filtered out by a date.
    return wire.created_at or timezone.now()


def _import_page(ctx: RunContext, connection: MiintoConnection, page, wanted) -> None:
    rejected = quarantine_rejects(connection, page, "return")
    fresh = [r for r in page.items if wanted(r)]
    returns_upsert(connection, fresh)
    ctx.bump(seen=len(fresh), skipped=len(page.items) - len(fresh), failed=rejected)


@transaction.atomic
def returns_upsert(connection: MiintoConnection, wire: Iterable[WireReturn], *, link_to=None) -> int:
    """Insert new RMAs and their lines in bulk, and record decisions Miinto shows for RMAs still pending here.

    A new merchant-made RMA is linked to the RMA request it came from (`link_to` when the caller knows it). Returns how
    many RMAs were new. A constant number of queries per page, plus a few per decided or merchant-made RMA.
    """
    wire = [r for r in wire]
    if not wire:
        return 0
    known = {r.miinto_id: r for r in Rma.objects.filter(connection=connection, miinto_id__in=[r.id for r in wire])}
    orders = {o.miinto_id: o for o in Order.objects.filter(connection=connection, miinto_id__in={r.order_id for r in wire})}
    order_lines = {
        (line.order_id, line.miinto_position_id): line for line in OrderLine.objects.filter(order__in=list(orders.values()))
    }
    fresh = [r for r in wire if r.id not in known]
    Rma.objects.bulk_create([_new_rma(connection, r, orders.get(r.order_id)) for r in fresh], ignore_conflicts=True)
    saved = {r.miinto_id: r for r in Rma.objects.filter(connection=connection, miinto_id__in=[r.id for r in fresh])}
    RmaLine.objects.bulk_create(
        [
            RmaLine(
                merchant_id=connection.merchant_id,
                rma=saved[r.id],
                order_line=order_lines.get((orders[r.order_id].pk, p.order_position_id)) if r.order_id in orders else None,
                miinto_id=p.id,
                miinto_position_id=p.order_position_id,
                quantity=p.quantity,
                unit_price=p.price.amount,
                amount=p.price.amount * p.quantity,
                reason=p.reason or "",
            )
            for r in fresh
            if r.id in saved
            for p in r.positions
        ],
        ignore_conflicts=True,
    )
    rma_events.rmas_received(saved.values())
    for r in wire:
        rma = saved.get(r.id) if r.id in saved else known.get(r.id)
        if rma is None:
            continue
        if r.origin == RmaOrigin.MERCHANT and r.id in saved:
            request_push_link(rma, r, push=link_to)
        elif r.status in DECIDED and rma.status == RmaStatus.PENDING:
            _record_miinto_decision(rma.pk, r)
    return len(saved)


def _new_rma(connection: MiintoConnection, wire: WireReturn, order: Order | None) -> Rma:
    """A new RMA as Miinto shows it; it is inserted pending and any decision is recorded right after, so that
    acceptance runs through one path (and a customer RMA accepted in Miinto gets its store refund)."""
    merchant_made = wire.origin == RmaOrigin.MERCHANT
    currency = wire.positions[0].currency if wire.positions else (order.currency if order else connection.currency)
    return Rma(
        merchant_id=connection.merchant_id,
        connection=connection,
        order=order,
        miinto_id=wire.id,
        miinto_order_id=wire.order_id,
        origin=wire.origin,
        # Miinto makes an RMA request accepted at once; who asked for it is settled when it is linked to its request.
        status=wire.status if merchant_made else RmaStatus.PENDING,
        decided_by=DecidedBy.MIINTO if merchant_made and wire.status != RmaStatus.PENDING else "",
        decision_reason=(wire.decision_reason or "") if merchant_made else "",
        decided_at=timezone.now() if merchant_made and wire.status != RmaStatus.PENDING else None,
        currency=currency,
        amount=sum((p.price.amount * p.quantity for p in wire.positions), Decimal("0")),
        reason=wire.reason or "",
        customer_comment=wire.customer_comment or "",
        created_at_miinto=wire.created_at,
        raw=wire.model_dump(mode="json", by_alias=True),
    )


def _active_decision():
    return Exists(RmaDecisionPush.objects.filter(rma=OuterRef("pk"), state__in=ACTIVE_PUSH_STATES))


def _record_miinto_decision(rma_pk: int, wire: WireReturn) -> None:
    """A return decided in Miinto while pending here; an RMA whose own decision is on its way is left to that row."""
    with transaction.atomic():
        rma = (
            Rma.objects.select_for_update(of=("self",))
            .annotate(deciding=_active_decision())
            .select_related("connection", "order")
            .get(pk=rma_pk)
        )
        if rma.is_pending and not rma.deciding:
            rma_record_decision(rma, status=wire.status, decided_by=DecidedBy.MIINTO, reason=wire.decision_reason or "")


def _vanished(connection: MiintoConnection, seen_pending: set[int]) -> list[Rma]:
    """RMAs pending here that Miinto no longer lists as pending, and that no decision of ours is settling."""
    return list(
        Rma.objects.filter(connection=connection, status=RmaStatus.PENDING)
        .exclude(miinto_id__in=seen_pending)
        .annotate(deciding=_active_decision())
        .filter(deciding=False)
    )
