"""A connection's scheduled tick: one task runs every flow due for the connection, one after another.

The per-(connection, flow) locks and the heartbeat still guard each flow as in a single run; what a tick saves is
the fixed cost per flow: its runs are written in one INSERT, one heartbeat thread serves them all, loaded objects
(connection, merchant, store, Miinto session) are shared, each run ends with one conditional UPDATE, and the
connection's last-sync times are written once at the end.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Func, JSONField, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from connections.models import ACTIVE_RUN_STATUSES, MiintoConnection, PauseSource, RunStatus, SyncRun, Trigger
from connections.services import miinto_connection_pause
from connections.sync.heartbeat import Heartbeat, lease_seconds
from connections.sync.runs import (
    FlowSpec,
    RunContext,
    _auth_pause_reason,
    _summary,
    end_lost_run,
    lost_reason,
    registered_flows,
)
from koongo.coordination import Lease, locks
from koongo.http import AuthError
from koongo.observability import metrics
from koongo.observability.logs import log_context

log = logging.getLogger(__name__)


def _due_flows(connection: MiintoConnection, now) -> list[FlowSpec]:
    """The scheduled flows without a live queued or running run; lost ones are failed here and run again now."""
    specs = [spec for spec in registered_flows().values() if spec.is_scheduled_for(connection)]
    if not specs:
        return []
    active = {run.flow: run for run in SyncRun.objects.filter(connection=connection, status__in=ACTIVE_RUN_STATUSES)}
    due = []
    for spec in specs:
        run = active.get(spec.flow)
        if run is None or (lost_reason(run, now) and end_lost_run(run, now)):
            due.append(spec)
    return due


def _start_runs(connection: MiintoConnection, leased: list[tuple[FlowSpec, Lease]], now) -> list[tuple[FlowSpec, Lease, SyncRun]]:
    """Write the runs of the leased flows as running in one INSERT; on a race with a button press, flow by flow."""
    runs = [
        SyncRun(merchant_id=connection.merchant_id, connection=connection, flow=spec.flow, trigger=Trigger.SCHEDULE,
                status=RunStatus.RUNNING, created_at=now, started_at=now, heartbeat_at=now)
        for spec, _ in leased
    ]  # fmt: skip
    try:
        with transaction.atomic():
            SyncRun.objects.bulk_create(runs)
        return [(spec, lease, run) for (spec, lease), run in zip(leased, runs, strict=True)]
    except IntegrityError:
        pass
    started = []
    for (spec, lease), run in zip(leased, runs, strict=True):
        run.pk = None
        try:
            with transaction.atomic():
                run.save(force_insert=True)
        except IntegrityError:
            continue  # a run was requested meanwhile (one active run per flow): its own task runs it
        started.append((spec, lease, run))
    return started


def _close(run: SyncRun, ctx: RunContext, error: str | None, now) -> str | None:
    """End a running run with one conditional UPDATE; returns its status, or None if it was declared lost meanwhile."""
    if error:
        status = RunStatus.FAILED
    elif ctx.errors or ctx.counted["failed"]:
        status = RunStatus.PARTIAL
    else:
        status = RunStatus.SUCCEEDED
    changes = {"status": status, "finished_at": now, "error_summary": _summary(error, ctx.errors), **ctx.closing_changes()}
    if not SyncRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(**changes):
        log.warning("sync run %s finished after it was declared lost; that verdict stands", run.pk)
        return None
    metrics.SYNC_RUN_SECONDS.labels(run.flow, str(status)).observe((now - run.started_at).total_seconds())
    return status


def _run_one(spec: FlowSpec, run: SyncRun) -> str | None:
    """Call the flow's runner under the run's context and end the run; returns its status."""
    ctx = RunContext(run)
    error = None
    with log_context(run_id=run.pk, flow=run.flow, connection_id=run.connection_id):
        try:
            spec.runner(ctx)
        except AuthError:
            error = _auth_pause_reason(ctx)
            source = PauseSource.STORE_CREDENTIALS if ctx.refused_by_store() else PauseSource.MIINTO_CREDENTIALS
            miinto_connection_pause(connection=run.connection, reason=error, source=source)
        except Exception as exc:  # a run always ends with a status; the next tick starts over from the watermark
            log.exception("sync run %s (%s) failed", run.pk, run.flow)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            ctx.flush()
        return _close(run, ctx, error, timezone.now())


class JSONMerge(Func):
    """`column` with the keys of a JSON object set over it, in SQL, so concurrent writers of other keys lose nothing."""

    output_field = JSONField()
    arg_joiner = " || "
    template = "(%(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="json_patch", template="%(function)s(%(expressions)s)", arg_joiner=", ", **extra)


def _record_tick(connection: MiintoConnection, succeeded: list[str], now) -> None:
    """One UPDATE: the last successful sync of the flows that did not fail, and the next tick an interval after this one."""
    following = now + timedelta(minutes=connection.sync_interval_minutes)
    stamps = Value(dict.fromkeys(succeeded, now.isoformat()), output_field=JSONField())
    MiintoConnection.objects.filter(pk=connection.pk).update(
        last_synced=JSONMerge(F("last_synced"), stamps), next_sync_at=Greatest(Coalesce(F("next_sync_at"), following), following)
    )


def _lease(key: str) -> Lease | None:
    backend = locks().backend
    token = uuid.uuid4().hex
    return Lease(backend, key, token, lease_seconds()) if backend.acquire(key, token, lease_seconds()) else None


def _release(lease: Lease) -> None:
    lease.backend.release(lease.key, lease.token)


def sync_tick_execute(connection: MiintoConnection) -> dict[str, str]:
    """Run every flow due for `connection` (in the merchant's scope); returns flow → outcome.

    A flow whose lock another worker holds, or with a live run of its own, is left to that run ("busy").
    """
    now = timezone.now()
    outcomes: dict[str, str] = {}
    leased: list[tuple[FlowSpec, Lease]] = []
    for spec in _due_flows(connection, now):
        lease = _lease(f"sync:{connection.pk}:{spec.flow}")
        if lease is None:
            outcomes[spec.flow] = "busy"
        else:
            leased.append((spec, lease))
    unreleased = {id(lease): lease for _, lease in leased}
    try:
        started = _start_runs(connection, leased, now) if leased else []
        for spec, lease in leased:
            if not any(lease is held for _, held, _ in started):
                outcomes[spec.flow] = "busy"
        succeeded = []
        with Heartbeat() as heartbeat:
            for _, lease, run in started:
                heartbeat.add(run.pk, lease)
            for spec, lease, run in started:
                if connection.paused_at is not None:
                    # An earlier flow's credentials were refused: the rest would only be refused again.
                    status = _close(run, RunContext(run), f"Not run: {connection.paused_reason}", timezone.now())
                else:
                    status = _run_one(spec, run)
                heartbeat.discard(run.pk)
                _release(unreleased.pop(id(lease)))  # the flow is free for a button press at once
                outcomes[spec.flow] = str(status or "lost")
                if status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL):
                    succeeded.append(spec.flow)
        if started:
            _record_tick(connection, succeeded, timezone.now())
    finally:
        for lease in unreleased.values():
            _release(lease)
    return outcomes
