"""Celery tasks of the sync machinery: thin wrappers that load by id, enter the merchant's scope and call one service.

None of them retries through Celery: a run ends with a status and the schedule starts the next one, and an outbox
row keeps its own retry state (`next_attempt_at`), which the sweeper acts on.

Each keeps the name it had as `connections.tasks.*` before the move, which the beat schedule uses and queued
messages carry. The engine enqueues through `enqueue.py` by name and never imports this module.
"""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from connections.models import ConnectionStatus, MiintoConnection, SyncRun
from connections.sync import activity, outbox, pruning, retries, runs, ticks
from connections.sync.enqueue import OUTBOX_EXECUTE, RUN_FLOW, RUN_TICK
from koongo.accounts.tenancy import merchant_scope


@shared_task(name=RUN_FLOW)
def run_flow(run_id: int) -> str:
    # A task's first load by id; everything after runs in the run's merchant scope.
    with scopes_disabled():
        run = SyncRun.objects.select_related("merchant", "connection").filter(pk=run_id).first()
    if run is None:
        return "missing"
    with merchant_scope(run.merchant):
        return runs.sync_run_execute(run)


@shared_task(name=RUN_TICK)
def run_connection_tick(connection_id: int) -> str:
    # The first load by id brings what every flow reads (merchant, store, order configuration), once for all of them.
    with scopes_disabled():
        connection = (
            MiintoConnection.objects.select_related("merchant__plan", "store_connection", "order_configuration")
            .filter(pk=connection_id, status=ConnectionStatus.ACTIVE, paused_at__isnull=True)
            .first()
        )
    if connection is None:
        return "inactive"  # deleted, disabled or paused since the dispatcher claimed it
    with merchant_scope(connection.merchant):
        outcomes = ticks.sync_tick_execute(connection)
    return " ".join(f"{flow}:{outcome}" for flow, outcome in outcomes.items())


@shared_task(name=OUTBOX_EXECUTE)
def outbox_execute(model_label: str, pk: int) -> str:
    # outbox_execute does the first load by id itself and enters the row's merchant scope.
    return outbox.outbox_execute(model_label, pk)


@shared_task(name="connections.tasks.outbox_sweep")
def outbox_sweep() -> int:
    return outbox.outbox_sweep()


@shared_task(name="connections.tasks.dispatch_due_connections")
def dispatch_due_connections() -> int:
    return len(runs.sync_dispatch_due())


@shared_task(name="connections.tasks.replace_lost_runs")
def replace_lost_runs() -> int:
    """Beat, every few seconds: a run whose worker died is ended and replaced one lease after its last heartbeat, and
    a run that failed is tried once more (`connections.sync.retries`)."""
    return runs.sync_runs_fail_stale() + retries.sync_runs_retry_failed()


@shared_task(name="connections.tasks.prune_activity")
def prune_activity() -> int:
    return activity.activity_prune()


@shared_task(name="connections.tasks.prune_sync_runs")
def prune_sync_runs() -> int:
    return pruning.sync_runs_prune()
