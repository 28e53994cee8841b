"""Reading Miinto transfers into our tables: bulk upserts per page, quarantined rejects, and decisions made in Miinto."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from connections.models import MiintoConnection, OrderConfiguration
from connections.sync.problems import problem_raise
from miinto.schemas import Page, TransferDetail
from miinto.schemas import Transfer as WireTransfer
from orders.models import DecidedBy, Decision, Position, PositionStatus, Transfer

MALFORMED = "malformed_payload"


def from_date_start(configuration: OrderConfiguration) -> datetime | None:
    """The first instant synced under "Sync Orders Created From Date", in the merchant's timezone."""
    if configuration.sync_from_date is None:
        return None
    import zoneinfo

    zone = zoneinfo.ZoneInfo(configuration.merchant.timezone)
    return datetime.combine(configuration.sync_from_date, time.min, tzinfo=zone)


def quarantine_rejects(connection: MiintoConnection, page: Page, what: str) -> int:
    """Each malformed record becomes a Problem with its raw payload; the rest of the page carries on."""
    for reject in page.rejects:
        record_id = reject.raw.get("id", "?") if isinstance(reject.raw, dict) else "?"
        problem_raise(
            merchant=connection.merchant,
            kind=MALFORMED,
            message=f"Miinto sent a malformed {what} ({record_id}): {reject.error}",
            fingerprint=f"malformed:{connection.pk}:{what}:{record_id}",
            connection=connection,
            excerpt=reject.raw,
            subject_type=what,
            subject_id=record_id,
        )
    return len(page.rejects)


@transaction.atomic
def transfers_upsert(connection: MiintoConnection, wire: Iterable[WireTransfer]) -> list[Position]:
    """Insert new transfers and positions in bulk (a constant number of queries a page); returns the page's positions."""
    # Oldest first, so ids grow with Miinto's time: the lists sort by id, and Miinto's pages come newest first.
    wire = sorted(wire, key=lambda t: (t.created_at is None, t.created_at.timestamp() if t.created_at else 0, t.id))
    if not wire:
        return []
    now = timezone.now()
    Transfer.objects.bulk_create(
        [
            Transfer(merchant=connection.merchant, connection=connection, miinto_id=t.id, created_at_miinto=t.created_at,
                     raw=t.model_dump(mode="json", by_alias=True), last_seen_pending_at=now)
            for t in wire
        ],
        update_conflicts=True,
        unique_fields=["connection", "miinto_id"],
        update_fields=["last_seen_pending_at"],
    )
    transfers = {t.miinto_id: t for t in Transfer.objects.filter(connection=connection, miinto_id__in=[t.id for t in wire])}
    Position.objects.bulk_create(
        [
            Position(
                merchant=connection.merchant, connection=connection, transfer=transfers[t.id], miinto_id=p.id, quantity=p.quantity,
                unit_price=p.price.amount, currency=p.price.currency, gtin=p.item.gtin or "", item=p.item.model_dump(mode="json", by_alias=True),
            )
            for t in wire
            for p in t.pending_positions
        ],
        ignore_conflicts=True,
    )
    ids = [p.id for t in wire for p in t.pending_positions]
    return list(Position.objects.filter(connection=connection, miinto_id__in=ids).select_related("transfer", "product"))


def record_miinto_decisions(connection: MiintoConnection, transfer: Transfer, detail: TransferDetail) -> list[Decision]:
    """Positions that Miinto shows decided but we never decided were decided in Miinto itself: record them so."""
    statuses = {p.id: p.status for p in detail.positions}
    now = timezone.now()
    decisions, changed = [], []
    for position in transfer.positions.filter(status=PositionStatus.PENDING):
        status = statuses.get(position.miinto_id)
        if status not in (PositionStatus.ACCEPTED, PositionStatus.DECLINED):
            continue
        position.set_status(status)
        position.awaiting_store = status == PositionStatus.ACCEPTED
        changed.append(position)
        decisions.append(
            Decision(merchant=connection.merchant, position=position, outcome="accept" if status == "accepted" else "decline",
                     reason="decided_in_miinto", decided_by=DecidedBy.MIINTO, sent_at=now)
        )
    Position.objects.bulk_update(changed, ["status", "awaiting_store"])
    Decision.objects.bulk_create(decisions, ignore_conflicts=True)
    if detail.new_order and transfer.new_order_id != detail.new_order.id:
        transfer.new_order_id = detail.new_order.id
        transfer.save(update_fields=["new_order_id"])
    return decisions
