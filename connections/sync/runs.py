"""Sync runs: the flow registry, `sync_request`, the run lifecycle and the beat dispatcher of due connections.

Apps register a runner per flow; a run is one call of that runner under a per-(connection, flow) lock, and it
reports progress through its `RunContext`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from connections.models import (
    ACTIVE_RUN_STATUSES,
    RUN_COUNTERS,
    ConnectionStatus,
    Direction,
    Flow,
    MiintoConnection,
    PauseSource,
    RunStatus,
    SyncRun,
    Trigger,
)
from connections.services import miinto_connection_pause
from connections.sync.activity import ActivityRecorder
from connections.sync.enqueue import RUN_FLOW, RUN_TICK, enqueue
from connections.sync.heartbeat import Heartbeat, lease_seconds
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from koongo.http import AuthError
from koongo.observability import metrics
from koongo.observability.logs import log_context

log = logging.getLogger(__name__)

ERROR_SUMMARY_LIMIT = 4000
QUEUED_TIMEOUT = timedelta(minutes=15)
STORE_DIRECTIONS = (Direction.TO_STORE, Direction.FROM_STORE)


class SyncRefused(ValidationError):
    """A sync that cannot start (unknown flow, disabled or paused connection); the message says why."""


# --- the flow registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class FlowSpec:
    """A flow's runner and, optionally, which connections the schedule runs it for (default: all active ones)."""

    flow: str
    runner: Callable[[RunContext], None]
    scheduled_for: Callable[[MiintoConnection], bool] | None = None

    def is_scheduled_for(self, connection: MiintoConnection) -> bool:
        return self.scheduled_for is None or self.scheduled_for(connection)


_flows: dict[str, FlowSpec] = {}


def register_flow(
    flow: str, runner: Callable[[RunContext], None], *, scheduled_for: Callable[[MiintoConnection], bool] | None = None
) -> FlowSpec:
    """Make `flow` runnable: `runner(ctx)` does one run and reports through `ctx`; raising fails the run."""
    if flow not in Flow.values:
        raise ValueError(f"unknown flow {flow!r}; flows are {', '.join(Flow.values)}")
    spec = FlowSpec(flow=flow, runner=runner, scheduled_for=scheduled_for)
    _flows[flow] = spec
    return spec


def registered_flows() -> dict[str, FlowSpec]:
    return dict(_flows)


# --- what a runner sees --------------------------------------------------------------------


class RunContext:
    """A runner's handle on its run: progress counters, the expected total, item errors and activity recorders."""

    def __init__(self, run: SyncRun):
        self.run = run
        self.connection = run.connection
        self.errors: list[str] = []
        self.counted: dict[str, int] = dict.fromkeys(RUN_COUNTERS, 0)  # this process's bumps, for the run's verdict
        self.unwritten_total: int | None = None  # a zero total waits for the run's closing UPDATE
        self.unwritten: dict[str, int] = {}  # tallies that wait for it too
        self._recorders: list[ActivityRecorder] = []

    def bump(self, **counters: int) -> None:
        """Add to progress counters in one UPDATE, e.g. `ctx.bump(seen=50, accepted=3)`."""
        sync_run_bump(self.run, **counters)
        for name, amount in counters.items():
            self.counted[name] += amount

    def tally(self, **counters: int) -> None:
        """Add to counters with the run's closing UPDATE: for counts known only at the end, which show no progress."""
        unknown = set(counters) - set(RUN_COUNTERS)
        if unknown:
            raise ValueError(f"unknown run counters: {', '.join(sorted(unknown))}")
        for name, amount in counters.items():
            self.counted[name] += amount
            if amount:
                self.unwritten[name] = self.unwritten.get(name, 0) + amount

    def closing_changes(self) -> dict:
        """The run's fields still to write: a zero total and the tallies."""
        changes: dict = {name: F(name) + amount for name, amount in self.unwritten.items()}
        if self.unwritten_total is not None:
            changes["total"] = self.unwritten_total
        return changes

    def set_total(self, total: int) -> None:
        self.run.total = total
        if not total:
            # Nothing to show progress against: an idle run writes it with its end, not in a query of its own.
            self.unwritten_total = total
            return
        self.unwritten_total = None
        SyncRun.objects.filter(pk=self.run.pk).update(total=total)

    @property
    def changed_anything(self) -> bool:
        """Whether the run changed something (the counters pruning keeps a run for)."""
        return any(self.counted[name] for name in ("accepted", "declined", "pushed", "failed"))

    def note_error(self, message: str) -> None:
        """An item failed but the run goes on; the run then finishes as partial with this in its summary."""
        self.errors.append(message)

    def recorder(self, direction: str, *, batch_size: int = 50) -> ActivityRecorder:
        """An `on_call` hook logging the calls of a client to Miinto or to the store under this run."""
        store_side = direction in STORE_DIRECTIONS
        recorder = ActivityRecorder(
            merchant_id=self.run.merchant_id,
            direction=direction,
            connection_id=self.run.connection_id,
            store_connection_id=self.connection.store_connection_id if store_side else None,
            run_id=self.run.pk,
            batch_size=batch_size,
        )
        self._recorders.append(recorder)
        return recorder

    def flush(self) -> None:
        for recorder in self._recorders:
            recorder.flush()

    def refused_by_store(self) -> bool:
        """Whether the latest 401/403 the run saw came from the store rather than Miinto."""
        refusals = [(r.last_auth_refusal, r.direction) for r in self._recorders if r.last_auth_refusal is not None]
        return bool(refusals) and max(refusals)[1] in STORE_DIRECTIONS


# --- requesting a run ----------------------------------------------------------------------


LOST_IN_QUEUE = "No worker picked this run up; the next one will."
LOST_WORKER = "The worker stopped before finishing this run."


def _lost(now) -> dict[str, tuple[Q, str]]:
    """Per active status, which runs no worker will finish, and why: a running run is lost once it misses its heartbeat."""
    stale = now - timedelta(seconds=lease_seconds())
    last_sign_of_life = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    return {
        RunStatus.QUEUED: (Q(created_at__lt=now - QUEUED_TIMEOUT), LOST_IN_QUEUE),
        RunStatus.RUNNING: (last_sign_of_life, LOST_WORKER),
    }


def lost_reason(run: SyncRun, now) -> str | None:
    """Why no worker will finish `run` (the same verdict as `_lost`, for a run already loaded), or None."""
    stale = now - timedelta(seconds=lease_seconds())
    if run.status == RunStatus.QUEUED:
        return LOST_IN_QUEUE if run.created_at < now - QUEUED_TIMEOUT else None
    if run.status == RunStatus.RUNNING:
        last_sign_of_life = run.heartbeat_at or run.started_at
        return LOST_WORKER if last_sign_of_life is not None and last_sign_of_life < stale else None
    return None


def end_lost_run(run: SyncRun, now) -> bool:
    """Fail `run` if it is still lost, with a conditional UPDATE (a beat in between keeps it alive)."""
    status = run.status
    lost, why = _lost(now)[status]
    return bool(SyncRun.objects.filter(lost, pk=run.pk, status=status).update(status=RunStatus.FAILED, finished_at=now, error_summary=why))


def _end_lost(runs_query, now) -> list[SyncRun]:
    """Fail the lost runs among `runs_query`, each with a conditional UPDATE (a beat in between keeps a run alive)."""
    ended = []
    for status, (lost, why) in _lost(now).items():
        for run in runs_query.filter(lost, status=status):
            if SyncRun.objects.filter(lost, pk=run.pk, status=status).update(status=RunStatus.FAILED, finished_at=now, error_summary=why):
                ended.append(run)
    return ended


def _active_run(connection: MiintoConnection, flow: str) -> SyncRun | None:
    """The flow's queued or running run, unless it is lost: that one is failed here, so a new run can start at once."""
    active = SyncRun.objects.filter(connection=connection, flow=flow, status__in=ACTIVE_RUN_STATUSES)
    _end_lost(active, timezone.now())
    return active.first()


def sync_request(*, connection: MiintoConnection, flow: str, trigger: str) -> SyncRun:
    """Queue a run of `flow` (started on commit), or return the run already queued or running for it."""
    trigger = Trigger(trigger)
    if flow not in _flows:
        label = Flow(flow).label if flow in Flow.values else flow
        raise SyncRefused({"flow": [_("%(flow)s synchronization is not available yet.") % {"flow": label}]})
    if connection.status != ConnectionStatus.ACTIVE:
        raise SyncRefused(_("This connection is disabled. Activate it before synchronizing."), code="connection_disabled")
    if connection.is_paused:
        raise SyncRefused(_("This connection is paused: %(reason)s") % {"reason": connection.paused_reason}, code="connection_paused")
    with transaction.atomic():
        for _attempt in range(3):
            active = _active_run(connection, flow)
            if active:
                return active
            try:
                with transaction.atomic():
                    run = SyncRun.objects.create(
                        merchant_id=connection.merchant_id, connection=connection, flow=flow, trigger=trigger
                    )
            except IntegrityError:
                # A concurrent request won the partial unique index (one active run per flow); return its run.
                continue
            transaction.on_commit(partial(_enqueue_run, run.pk))
            return run
    raise RuntimeError(f"could not queue or find the {flow} run of connection {connection.pk}")


def _enqueue_run(run_id: int) -> None:
    enqueue(RUN_FLOW, run_id)


# --- the run lifecycle ---------------------------------------------------------------------


def sync_run_start(run: SyncRun) -> bool:
    """Queued → running, as a conditional UPDATE so a redelivered task cannot start the run twice."""
    now = timezone.now()
    started = SyncRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if started:
        run.status, run.started_at, run.heartbeat_at = RunStatus.RUNNING, now, now
    return bool(started)


def sync_run_bump(run: SyncRun, **counters: int) -> None:
    """Add to several progress counters at once with F() expressions, so concurrent bumps never lose a count."""
    unknown = set(counters) - set(RUN_COUNTERS)
    if unknown:
        raise ValueError(f"unknown run counters: {', '.join(sorted(unknown))}")
    changes = {name: F(name) + amount for name, amount in counters.items() if amount}
    if changes:
        SyncRun.objects.filter(pk=run.pk).update(**changes)


def _summary(error: str | None, notes: list[str]) -> str:
    lines = ([error] if error else []) + notes
    text = "\n".join(lines)
    return text if len(text) <= ERROR_SUMMARY_LIMIT else text[: ERROR_SUMMARY_LIMIT - 1] + "…"


def sync_run_finish(run: SyncRun, *, error: str | None = None, notes: list[str] | None = None) -> SyncRun:
    """End a running run: failed on `error`, partial if items failed, else succeeded; then update the connection.

    The connection's last successful sync of the flow moves on unless the run failed, and its next scheduled sync
    is an interval after this run ended, so a slow run never has the next one waiting behind it.
    """
    notes = notes or []
    now = timezone.now()
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.RUNNING:
            # Declared lost by the stale-run check while this worker was still going; that verdict stands.
            log.warning("sync run %s finished after it was already %s", run.pk, run.status)
            return run
        if error:
            status = RunStatus.FAILED
        elif notes or run.failed:
            status = RunStatus.PARTIAL
        else:
            status = RunStatus.SUCCEEDED
        run.set_status(status)
        run.finished_at = now
        run.error_summary = _summary(error, notes)
        run.save(update_fields=["status", "finished_at", "error_summary"])
        if run.started_at:
            seconds, flow = (now - run.started_at).total_seconds(), run.flow
            transaction.on_commit(lambda: metrics.SYNC_RUN_SECONDS.labels(flow, str(status)).observe(seconds))
        connection = MiintoConnection.objects.select_for_update().get(pk=run.connection_id)
        if status != RunStatus.FAILED:
            connection.last_synced = {**connection.last_synced, run.flow: now.isoformat()}
        following = now + timedelta(minutes=connection.sync_interval_minutes)
        connection.next_sync_at = max(connection.next_sync_at or following, following)
        connection.save(update_fields=["last_synced", "next_sync_at"])
    return run


def _auth_pause_reason(ctx: RunContext) -> str:
    party = "The store" if ctx.refused_by_store() else "Miinto"
    return f"{party} rejected the credentials on {timezone.now():%Y-%m-%d %H:%M} UTC. Update them to resume synchronization."


def sync_run_execute(run: SyncRun) -> str:
    """Start the run under its (connection, flow) lock, call the flow's runner and finish the run; returns the outcome.

    The lock is a short lease that the run's heartbeat renews, so a killed worker's lock expires within a lease.
    """
    spec = _flows.get(run.flow)
    with log_context(run_id=run.pk, flow=run.flow, connection_id=run.connection_id), \
            locks().lease(f"sync:{run.connection_id}:{run.flow}", ttl=lease_seconds()) as lease:
        if lease is None:
            # Another worker is still in this flow (e.g. a run declared lost that is still going); this run stays queued
            # and the dispatcher hands it to a worker again (`sync_runs_fail_stale`).
            return "busy"
        if not sync_run_start(run):
            return "not_queued"
        ctx = RunContext(run)
        error = None
        try:
            if spec is None:
                raise RuntimeError(f"no runner is registered for the {run.flow} flow")
            with Heartbeat(run.pk, lease):
                spec.runner(ctx)
        except AuthError:
            error = _auth_pause_reason(ctx)
            source = PauseSource.STORE_CREDENTIALS if ctx.refused_by_store() else PauseSource.MIINTO_CREDENTIALS
            miinto_connection_pause(connection=run.connection, reason=error, source=source)
        except Exception as exc:  # a run always ends with a status; the next scheduled run starts over from the watermark
            log.exception("sync run %s (%s) failed", run.pk, run.flow)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            ctx.flush()
        if changes := ctx.closing_changes():
            SyncRun.objects.filter(pk=run.pk).update(**changes)
        sync_run_finish(run, error=error, notes=ctx.errors)
        return "failed" if error else "finished"


# --- the beat dispatcher -------------------------------------------------------------------


def sync_runs_fail_stale() -> int:
    """End runs no worker will finish: queued too long (the broker lost the task) or running without a heartbeat.

    A run whose worker died is replaced at once by a new run of the same flow, so the connection waits about one lease
    and one dispatcher tick, not a whole sync interval. A run still queued after a lease (it found the lock busy) is
    handed to a worker again; a duplicate task is harmless, since only one can start the run.
    """
    now = timezone.now()
    # A beat dispatcher across merchants: an allowed place for scopes_disabled; replacements are requested in scope.
    with scopes_disabled():
        ended = _end_lost(SyncRun.objects.select_related("connection__merchant"), now)
        waiting = SyncRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=now - timedelta(seconds=lease_seconds()))
        for run_id in waiting.values_list("pk", flat=True):
            transaction.on_commit(partial(_enqueue_run, run_id))
    for run in ended:
        if run.status == RunStatus.RUNNING:
            _replace_lost_run(run)
    return len(ended)


def _replace_lost_run(run: SyncRun) -> None:
    connection = run.connection
    with merchant_scope(connection.merchant):
        try:
            sync_request(connection=connection, flow=run.flow, trigger=Trigger.SCHEDULE)
        except SyncRefused:
            pass  # disabled, paused or unregistered since: nothing to replace


def _claim_due_connections(now, batch_size: int) -> list[MiintoConnection]:
    """Lock a batch of due, active, unpaused connections; rows another dispatcher holds are skipped, not awaited."""
    due = MiintoConnection.objects.filter(Q(next_sync_at__lte=now) | Q(next_sync_at__isnull=True), status=ConnectionStatus.ACTIVE)
    due = due.filter(paused_at__isnull=True).only("pk", "sync_interval_minutes", "next_sync_at").order_by(F("next_sync_at").asc(nulls_first=True), "pk")
    return list(due.select_for_update(skip_locked=True, of=("self",))[:batch_size])


def _dispatch_batch(batch_size: int) -> list[int]:
    now = timezone.now()
    # A beat dispatcher across merchants: an allowed place for scopes_disabled. It only claims and enqueues: the
    # connection's tick task decides which flows are due and runs them (connections.sync.ticks).
    with scopes_disabled(), transaction.atomic():
        connections = _claim_due_connections(now, batch_size)
        for connection in connections:
            connection.next_sync_at = now + timedelta(minutes=connection.sync_interval_minutes)
        MiintoConnection.objects.bulk_update(connections, ["next_sync_at"])
        for connection in connections:
            transaction.on_commit(partial(enqueue, RUN_TICK, connection.pk))
    return [connection.pk for connection in connections]


def sync_dispatch_due(*, batch_size: int = 100, max_batches: int = 50) -> list[int]:
    """Beat: end stale runs, then queue one tick task per due connection, which runs every flow due for it."""
    sync_runs_fail_stale()
    dispatched: list[int] = []
    for _batch in range(max_batches):
        batch = _dispatch_batch(batch_size)
        dispatched.extend(batch)
        if len(batch) < batch_size:
            break
    return dispatched
