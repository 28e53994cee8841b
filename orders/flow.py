"""The orders flow: read pending transfers, match and refresh stock, and decide.

The resulting pushes run in their own tasks, so a slow store never holds up reading and deciding: once every page is
read (telling Miinto shifts the pending list's offsets), the run's decision pushes are published a page's worth per
task (one Miinto client each); each confirmed decision fetches its order and queues that order's store push.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from catalog.selectors import product_map_for
from connections import clients
from connections.models import Direction, OutboxState
from connections.sync.runs import RunContext
from orders import ingest
from orders.decision_batches import decision_batch_publish
from orders.decisions import decision_push_for, decision_pushes_for, positions_auto_decide
from orders.matching import positions_match
from orders.models import Decision, DecisionPush, Position, PositionStatus, Transfer

PAGE_SIZE = 50
# Activity entries are buffered for the run and written in a few bulk INSERTs rather than one per page.
ACTIVITY_BATCH = 1000


def orders_flow(ctx: RunContext) -> None:
    """One run for one connection; every page is committed on its own, so a crash loses at most the current page."""
    connection = ctx.connection
    configuration = connection.order_configuration
    from_start = ingest.from_date_start(configuration)
    recorder = ctx.recorder(Direction.TO_MIINTO, batch_size=ACTIVITY_BATCH)
    client = clients.miinto_client(connection, on_call=recorder)
    adapter = clients.store_adapter(connection.store_connection, on_call=ctx.recorder(Direction.TO_STORE, batch_size=ACTIVITY_BATCH)) if connection.store_connection else None
    seen_ids: set[int] = set()
    pushes: list = []
    with client:
        for page in client.transfer_pages(connection.shop_id, "pending", page_size=PAGE_SIZE):
            rejected = ingest.quarantine_rejects(connection, page, "transfer")
            fresh = [t for t in page.items if from_start is None or t.created_at is None or t.created_at >= from_start]
            seen_ids.update(t.id for t in page.items)
            positions = ingest.transfers_upsert(connection, fresh)
            keys = [str(p.item.get("productId") or "") for p in positions] + [p.gtin for p in positions]
            report = positions_match(connection, configuration, positions, product_map_for(connection, keys), adapter)
            counts = {"accepted": 0, "declined": 0}
            if configuration.auto_accept:
                counts = positions_auto_decide(connection, configuration, positions, may_decline_not_found=report.may_decline_not_found,
                                               collect=pushes)
            ctx.bump(seen=len(fresh), skipped=len(page.items) - len(fresh), failed=rejected,
                     accepted=counts["accepted"], declined=counts["declined"])
        decision_batch_publish(pushes, PAGE_SIZE)
        reconcile_vanished(connection, client, seen_ids)
        push_unsent(connection)
    if adapter is not None:
        adapter.close()


def reconcile_vanished(connection, client, seen_ids: set[int]) -> None:
    """A transfer gone from the pending list while undecided here was decided in Miinto: read it and record that."""
    # closed_at is set once every position is decided and sent, so closed transfers never cost a request here.
    vanished = Transfer.objects.filter(connection=connection, closed_at__isnull=True).exclude(miinto_id__in=seen_ids).filter(
        Exists(Position.objects.filter(transfer=OuterRef("pk"), status=PositionStatus.PENDING))
    )
    for transfer in vanished:
        detail = client.transfer(connection.shop_id, transfer.miinto_id)
        ingest.record_miinto_decisions(connection, transfer, detail)
        if transfer.new_order_id:
            decision_push_for(connection, transfer)  # fetches the order made in Miinto and puts it in the store


def push_unsent(connection) -> None:
    """Safety net: a decision whose push finished before it committed gets a new push."""
    # A push in flight marks its decisions sent when its batch's chunk is through (or its retry reconciles): not unsent.
    in_flight = DecisionPush.objects.filter(transfer_id=OuterRef("position__transfer_id"), state=OutboxState.IN_FLIGHT)
    unsent = (
        Decision.objects.filter(position__connection=connection, sent_at__isnull=True).exclude(Exists(in_flight))
        .values_list("position__transfer_id", flat=True)
    )
    pushes: list = []
    decision_pushes_for(connection, list(Transfer.objects.filter(pk__in=set(unsent))), collect=pushes)
    decision_batch_publish(pushes, PAGE_SIZE)


def transfer_adopt(connection, client, transfer_id: int, adapter=None) -> Transfer:
    """A transfer decided in Miinto's back office before we ever saw it pending (reconciliation finds its order): record
    it with its matched positions and Miinto's decisions, then queue the decision push, which fetches the order and
    puts it in the store, exactly as `reconcile_vanished` does for a transfer we had seen."""
    from django.db import transaction

    from miinto.schemas import Transfer as WireTransfer

    detail = client.transfer(connection.shop_id, transfer_id)
    # Every position, decided or not, becomes ours as if it had been read pending; Miinto's decisions are recorded next.
    wire = WireTransfer.model_construct(id=detail.id, created_at=detail.created_at, status=detail.status,
                                        pending_positions=list(detail.positions))
    with transaction.atomic():
        positions = ingest.transfers_upsert(connection, [wire])
        keys = [str(p.item.get("productId") or "") for p in positions] + [p.gtin for p in positions]
        positions_match(connection, connection.order_configuration, positions, product_map_for(connection, keys), adapter)
        transfer = Transfer.objects.get(connection=connection, miinto_id=detail.id)
        ingest.record_miinto_decisions(connection, transfer, detail)
        if transfer.new_order_id:
            decision_push_for(connection, transfer)
    return transfer
