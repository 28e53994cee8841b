"""The `catalog` and `stock` flows: runners for the sync machinery, and when the schedule runs them.

Catalog: read the linked store's whole catalog (hourly by default) and Miinto's Product Map. Stock: push the in-feed
items whose stock changed, every sync interval, and every item once a day (the full reassert).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.utils import timezone

from catalog.feed_access import catalog_settings_get
from catalog.product_map import product_map_refresh
from catalog.services import catalog_refresh
from catalog.stock import stock_due_count, stock_push
from connections import clients
from connections.models import Direction, Flow, MiintoConnection
from connections.sync.activity import activity_record
from connections.sync.heartbeat import lease_seconds
from connections.sync.runs import RunContext, SyncRefused, sync_request
from koongo.coordination import locks
from koongo.http import TransientError

DEFAULT_CATALOG_REFRESH_MINUTES = 60
NO_STORE = "No store connection is linked to this Miinto connection, so there is no catalog or stock to sync."
STORE_BUSY = "Another connection is refreshing this store's catalog right now; this run left the refresh to it."


def catalog_refresh_minutes() -> int:
    return int(getattr(django_settings, "CATALOG_REFRESH_MINUTES", DEFAULT_CATALOG_REFRESH_MINUTES))


def catalog_refresh_due(connection: MiintoConnection) -> bool:
    """Scheduled when a store is linked and this connection's last successful catalog run is older than the interval."""
    if connection.store_connection_id is None:
        return False
    last = connection.last_synced.get(Flow.CATALOG)
    if not last:
        return True
    return timezone.now() - datetime.fromisoformat(last) >= timedelta(minutes=catalog_refresh_minutes())


def stock_push_scheduled(connection: MiintoConnection) -> bool:
    return connection.store_connection_id is not None


def catalog_flow(ctx: RunContext) -> None:
    """Refresh the store's catalog in bulk pages, then the Product Map, then queue a stock push; counts products as `seen`."""
    connection = ctx.connection
    store = connection.store_connection
    if store is None:
        ctx.note_error(NO_STORE)
        return
    # Two refreshes of one store (connections sharing it) would mark each other's freshly seen products as removed.
    # A short lease renewed on every page, not an hour: a killed worker must not hold the store's refresh that long.
    with locks().lease(f"catalog-refresh:{store.pk}", ttl=2 * lease_seconds()) as lease:
        if lease is None:
            ctx.note_error(STORE_BUSY)
            return

        def on_page(count: int) -> None:
            lease.renew()
            ctx.bump(seen=count)

        with clients.store_adapter(store, on_call=ctx.recorder(Direction.TO_STORE)) as adapter:
            seen, removed = catalog_refresh(store, adapter, on_page=on_page)
    activity_record(
        merchant=connection.merchant, direction=Direction.FROM_STORE, operation="catalog refresh", connection=connection,
        store_connection=store, run=ctx.run, subject_type="catalog", subject_id=store.pk,
        payload={"products": seen, "marked_removed": removed},
    )  # fmt: skip
    try:
        with clients.miinto_client(connection, on_call=ctx.recorder(Direction.TO_MIINTO)) as client:
            product_map_refresh(connection=connection, client=client)
    except TransientError as error:
        # The catalog itself is refreshed; the map keeps its last copy until the next run.
        ctx.note_error(f"The Product Map could not be fetched this time: {error}")
    # Fresh store stock goes to Miinto now rather than at the next scheduled stock run.
    try:
        sync_request(connection=connection, flow=Flow.STOCK, trigger=ctx.run.trigger)
    except SyncRefused as refused:
        ctx.note_error(f"No stock push followed: {' '.join(refused.messages)}")


def stock_flow(ctx: RunContext) -> None:
    """Push stock deltas (or everything, when the full reassert is due); counts: seen = sent, pushed = taken by
    Miinto, failed = unknown to Miinto, skipped = in-feed items whose stock Miinto already has."""
    connection = ctx.connection
    if connection.store_connection_id is None:
        ctx.note_error(NO_STORE)
        return
    catalog_settings = catalog_settings_get(connection)
    started = timezone.now()
    full = catalog_settings.full_reassert_due(started)
    counted = stock_due_count(connection, catalog_settings.stock_buffer, full)
    if not (counted[0] or full):
        # Nothing to send: no Miinto client, no call, and the counts ride on the run's closing UPDATE.
        ctx.set_total(0)
        ctx.tally(skipped=counted[1])
        return
    with clients.miinto_client(connection, on_call=ctx.recorder(Direction.TO_MIINTO)) as client:
        outcome = stock_push(
            connection=connection, client=client, buffer=catalog_settings.stock_buffer, full=full, on_total=ctx.set_total,
            on_batch=lambda updated, unknown: ctx.bump(seen=updated + unknown, pushed=updated, failed=unknown), counted=counted,
        )  # fmt: skip
    ctx.tally(skipped=outcome.unchanged)
    if full:
        catalog_settings.last_full_reassert_at = started
        catalog_settings.save(update_fields=["last_full_reassert_at"])
    if not (outcome.sent or full):
        return  # nothing changed: a run every few minutes should not fill the Communications log with empty entries
    activity_record(
        merchant=connection.merchant, direction=Direction.TO_MIINTO, operation="stock full reassert" if full else "stock deltas",
        connection=connection, run=ctx.run, subject_type="stock", subject_id=connection.pk,
        payload={"sent": outcome.sent, "updated": outcome.updated, "unknown": outcome.unknown, "unchanged": outcome.unchanged,
                 "batches": outcome.batches},
    )  # fmt: skip
