"""Celery tasks of the sync machinery: thin wrappers that load by id, enter the merchant's scope and call one service.

None of them retries through Celery: a run ends with a status and the schedule starts the next one, and an outbox
row keeps its own retry state (`next_attempt_at`), which the sweeper acts on.
"""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from connections import activity, outbox, remote_choices, run_pruning, runs
from connections.models import MiintoConnection, StoreConnection, SyncRun
from koongo.accounts.tenancy import merchant_scope
from koongo.http import HttpError


@shared_task(name="connections.tasks.run_flow")
def run_flow(run_id: int) -> str:
    # A task's first load by id; everything after runs in the run's merchant scope.
    with scopes_disabled():
        run = SyncRun.objects.select_related("merchant", "connection").filter(pk=run_id).first()
    if run is None:
        return "missing"
    with merchant_scope(run.merchant):
        return runs.sync_run_execute(run)


@shared_task(name="connections.tasks.outbox_execute")
def outbox_execute(model_label: str, pk: int) -> str:
    # outbox_execute does the first load by id itself and enters the row's merchant scope.
    return outbox.outbox_execute(model_label, pk)


@shared_task(name="connections.tasks.outbox_sweep")
def outbox_sweep() -> int:
    return outbox.outbox_sweep()


@shared_task(name="connections.tasks.dispatch_due_connections")
def dispatch_due_connections() -> int:
    return len(runs.sync_dispatch_due())


@shared_task(name="connections.tasks.prune_activity")
def prune_activity() -> int:
    return activity.activity_prune()


@shared_task(name="connections.tasks.prune_sync_runs")
def prune_sync_runs() -> int:
    return run_pruning.sync_runs_prune()


@shared_task(name="connections.tasks.refresh_market_providers")
def refresh_market_providers(connection_id: int) -> str:
    # A task's first load by id; the refresh runs in the connection's merchant scope.
    with scopes_disabled():
        connection = MiintoConnection.objects.select_related("merchant").filter(pk=connection_id).first()
    if connection is None:
        return "missing"
    with merchant_scope(connection.merchant):
        try:
            remote_choices.market_providers_refresh(connection)
        except HttpError:
            return "failed"  # recorded on the cache entry; the next stale read queues another try
    return "refreshed"


@shared_task(name="connections.tasks.refresh_identifier_attributes")
def refresh_identifier_attributes(store_id: int) -> str:
    with scopes_disabled():
        store = StoreConnection.objects.select_related("merchant").filter(pk=store_id).first()
    if store is None:
        return "missing"
    with merchant_scope(store.merchant):
        try:
            remote_choices.identifier_attributes_refresh(store)
        except (HttpError, ValueError):
            return "failed"
    return "refreshed"
