"""Reconciliation's writes: start a run (on demand or daily), execute it, and apply a finding's fix."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.feed_access import catalog_settings_get
from connections import clients
from connections.models import ConnectionStatus, MiintoConnection, SyncLevel
from connections.sync.enqueue import enqueue
from koongo.day_ranges import day_start, merchant_zone
from koongo.http import HttpError
from orders.pushes import store_reference
from reconciliation import checks, collect, ours
from reconciliation.fixes import FixRefused, finding_fix
from reconciliation.models import Finding, ReconciliationRun, RunStatus, RunTrigger
from rma.scope import refund_sync_scope, rma_scope
from webhooks.event_types import RECONCILIATION_FINDING
from webhooks.events import emit_many

log = logging.getLogger(__name__)

RUN_TASK = "reconciliation.tasks.run_reconciliation"
MAX_PERIOD = timedelta(days=31)

__all__ = ["FixRefused", "finding_fix", "reconciliation_start", "reconciliation_execute", "reconciliation_daily"]


def period_of_days(merchant, first: date, last: date) -> tuple[datetime, datetime]:
    """[first day's midnight, the midnight after the last day) in the merchant's time zone."""
    zone = merchant_zone(merchant)
    return day_start(first, zone), day_start(last + timedelta(days=1), zone)


def reconciliation_start(*, merchant, connection: MiintoConnection, period_start: datetime, period_end: datetime,
                         trigger: str, actor: str = "") -> ReconciliationRun:
    """Queue a run for the period (executed when the transaction commits); field errors say what is wrong."""
    errors = {}
    if period_end <= period_start:
        errors["period_end"] = [_("The period must end after it starts.")]
    elif period_end - period_start > MAX_PERIOD:
        errors["period_end"] = [_("A run covers at most %(days)s days.") % {"days": MAX_PERIOD.days}]
    if period_start > timezone.now():
        errors["period_start"] = [_("The period cannot start in the future.")]
    if connection.status != ConnectionStatus.ACTIVE:
        errors["connection"] = [_("This connection is disabled. Activate it before reconciling.")]
    if errors:
        raise ValidationError(errors)
    run = ReconciliationRun.objects.create(
        merchant=merchant, connection=connection, period_start=period_start, period_end=period_end,
        trigger=RunTrigger(trigger), actor=actor,
    )  # fmt: skip
    transaction.on_commit(partial(enqueue, RUN_TASK, run.pk))
    return run


def reconciliation_execute(run: ReconciliationRun) -> ReconciliationRun:
    """Read Miinto, the store and our records for the run's period and keep what differs; a remote failure fails the run."""
    claimed = ReconciliationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        run.refresh_from_db()
        return run  # another worker has it, or it ran already
    counter = collect.CallCounter()
    try:
        found = _compare(run, counter)
    except HttpError as error:
        log.warning("reconciliation %s failed: %s", run.pk, error)
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now(), remote_reads=counter.calls
        )
        run.refresh_from_db()
        return run
    with transaction.atomic():
        Finding.objects.bulk_create(found, batch_size=500)
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, counts=checks.totals(found), findings_total=len(found), finished_at=timezone.now(),
            remote_reads=counter.calls,
        )  # fmt: skip
        if found:
            _announce(run, found)
    run.refresh_from_db()
    return run


def _announce(run: ReconciliationRun, found: list[Finding]) -> None:
    """One `reconciliation.finding` webhook event per finding, written in the transaction that keeps the findings."""
    events = [
        (
            {
                "connection_id": run.connection_id, "run_id": run.pk, "finding_id": finding.pk, "kind": finding.kind,
                "detail": {
                    "message": finding.message, "miinto_order_id": finding.miinto_order_id, "store_ref": finding.store_ref,
                    "miinto_value": finding.miinto_value, "store_value": finding.store_value, "fix": finding.fix,
                },
            },
            f"reconciliation:{run.pk}",
        )
        for finding in found
    ]  # fmt: skip
    emit_many(run.merchant_id, RECONCILIATION_FINDING, events)


def _compare(run: ReconciliationRun, counter: collect.CallCounter) -> list[Finding]:
    connection = run.connection
    start, end = run.period_start, run.period_end
    configuration = connection.order_configuration
    with clients.miinto_client(connection, on_call=counter) as client:
        miinto = collect.miinto_records(client, connection.shop_id, start, end, returns_enabled=bool(rma_scope(connection)))
        collect.transfer_details(client, connection.shop_id, miinto, ours.transfers_to_read(connection, miinto.decided_transfers))
    listings = ours.listings_in_feed(connection)
    store = collect.StoreRecords()
    if connection.store_connection_id is not None:
        references = [store_reference(connection.shop_id, o.id) for o in miinto.orders if o.accepted_positions]
        with clients.store_adapter(connection.store_connection, on_call=counter) as adapter:
            store = collect.store_records(adapter, references, [li.product.sku for li in listings], start, end)
    mine = ours.our_records(
        connection, miinto_order_ids=[o.id for o in miinto.orders], miinto_return_ids=[r.id for r in miinto.returns],
        store_order_ids=[s.order.id for s in store.shipments] + [r.order.id for r in store.refunds or []],
        store_shipment_ids=[s.shipment_id for s in store.shipments], store_refund_ids=[r.refund_id for r in store.refunds or []],
        declined_position_ids=list(miinto.declined), listings=listings,
    )  # fmt: skip
    inputs = checks.Inputs(
        connection=connection, miinto=miinto, store=store, ours=mine,
        stock_buffer=catalog_settings_get(connection).stock_buffer,
        stock_tolerance=settings.RECONCILIATION_STOCK_TOLERANCE,
        orders_to_store=connection.store_connection_id is not None and configuration.sync_level == SyncLevel.ORDERS_AND_STOCK,
        refunds_both_ways=bool(refund_sync_scope(connection)),
    )  # fmt: skip
    for finding in (found := checks.findings(inputs)):
        finding.run = run
    return found


def reconciliation_daily(now: datetime | None = None) -> int:
    """Beat's daily pass: a run of yesterday (in each merchant's time zone) for every active connection; returns how many."""
    from django_scopes import scopes_disabled

    from koongo.accounts.tenancy import merchant_scope

    now = now or timezone.now()
    started = 0
    # The beat dispatcher's one unscoped read; each run is then written in its merchant's scope.
    with scopes_disabled():
        connections = list(MiintoConnection.objects.filter(status=ConnectionStatus.ACTIVE).select_related("merchant"))
    for connection in connections:
        if connection.is_paused:
            continue
        yesterday = now.astimezone(merchant_zone(connection.merchant)).date() - timedelta(days=1)
        start, end = period_of_days(connection.merchant, yesterday, yesterday)
        with merchant_scope(connection.merchant), transaction.atomic():
            if ReconciliationRun.objects.filter(connection=connection, trigger=RunTrigger.SCHEDULE, period_start=start).exists():
                continue  # beat fired twice (a restart): one daily run per day is enough
            reconciliation_start(merchant=connection.merchant, connection=connection, period_start=start, period_end=end,
                                 trigger=RunTrigger.SCHEDULE)
            started += 1
    return started
