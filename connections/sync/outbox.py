"""The outbox engine: a registry of outbox kinds, the claim and lease, execution with backoff, the sweeper, retry.

A row runs only after a conditional UPDATE made it ours (`outbox_claim`), and every later write is fenced on the
attempt number we claimed, so a worker whose lease expired can never overwrite the one that took over.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_scopes import scopes_disabled

from connections.models import OutboxRow, OutboxState, Problem
from connections.sync.enqueue import OUTBOX_EXECUTE, enqueue, queued
from connections.sync.problems import ProblemActionRefused, problem_raise, register_problem_kind
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import Lease, locks
from koongo.http import AuthError, PermanentError, TransientError
from koongo.observability import metrics
from koongo.observability.logs import log_context

log = logging.getLogger(__name__)

OUTBOX_DEAD = "outbox_dead"
LAST_ERROR_LIMIT = 2000
STUCK_STATES = (OutboxState.DEAD, OutboxState.FAILED)  # what a retry sends back to pending


@dataclass(frozen=True)
class OutboxKind:
    """One registered outbox model, the handler that executes a row of it, and its retry policy.

    `describe(row)` may return extra `problem_raise` arguments (connection, store_connection, message, excerpt)
    for the Problem opened when a row dies. `related` names what the handler reads through the row, loaded with it;
    `deferred` names fields of those it never reads (large JSON, secrets that cost a decryption), left out of the load.
    """

    model: type[OutboxRow]
    handler: Callable[[OutboxRow], None]
    max_attempts: int = 8
    lease_seconds: int = 300
    backoff_base: float = 30.0
    backoff_max: float = 6 * 3600.0
    describe: Callable[[OutboxRow], dict] | None = None
    # Called in the transaction that buries a row, e.g. to emit a webhook event about the failure.
    on_dead: Callable[[OutboxRow], None] | None = None
    related: tuple[str, ...] = ()
    deferred: tuple[str, ...] = ()
    # A lookup from a row to the id of the remote its handler writes to (e.g. "connection__store_connection"): one
    # task per kind and remote runs at a time, and drains the others (see `_execute_holding_remote`).
    remote: str | None = None
    # How long a row may wait for its prerequisite (see `Waiting`), on the outbox clock, before it dies.
    max_wait_seconds: float = 3 * 86400.0
    # The Celery queue its tasks go to; None keeps the task's route (the default queue, where store pushes wait).
    queue: str | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def lease(self) -> timedelta:
        """How long a claim holds, on the outbox clock; never under a minute, so a drill's fast clock cannot cut a
        normal execution short."""
        return timedelta(seconds=max(MIN_LEASE_SECONDS, self.lease_seconds * time_scale()))


# The `remote` of a row whose handler writes to the store of the row's Miinto connection.
STORE_OF_ROW = "connection__store_connection"

# A scaled lease never drops below this: a push with a few slow remote calls must finish inside its own claim.
MIN_LEASE_SECONDS = 60.0


def time_scale() -> float:
    """The outbox clock: backoffs and leases are multiplied by OUTBOX_TIME_SCALE (1 in production; the chaos smoke
    runs faster so CI can wait for it to settle)."""
    return float(getattr(settings, "OUTBOX_TIME_SCALE", 1.0))


_kinds: dict[str, OutboxKind] = {}


@dataclass(frozen=True)
class DoneWith:
    """A handler's answer: these fields of its row are written with the row's completion, in the same UPDATE."""

    fields: dict


class Waiting(Exception):
    """A handler's answer: what the row needs is not there yet (e.g. the store order a refund is for). The row tries
    again later without spending an attempt, so a slow prerequisite cannot use up its budget; after the kind's
    `max_wait_seconds` from its creation it dies like any other.

    `woken`: the prerequisite makes the row due itself when it arrives (a store order recorded wakes its refunds and
    label links), so the row looks again only every WAIT_POLL_MAX_SECONDS, as a safety net. Polling sooner flooded the
    queue: in a chaos run 259 label links waiting for their store orders were 1,400 of 2,800 queued tasks, and the
    store pushes they waited for sat behind them.
    """

    def __init__(self, reason: str, *, woken: bool = False):
        super().__init__(reason)
        self.woken = woken


# How often a waiting row looks again, at most (on the outbox clock): its prerequisite usually makes it due at once.
WAIT_POLL_MAX_SECONDS = 15 * 60.0


def register_outbox(
    model: type[OutboxRow],
    handler: Callable[[OutboxRow], None],
    *,
    max_attempts: int = 8,
    lease_seconds: int = 300,
    backoff_base: float = 30.0,
    backoff_max: float = 6 * 3600.0,
    describe: Callable[[OutboxRow], dict] | None = None,
    on_dead: Callable[[OutboxRow], None] | None = None,
    related: tuple[str, ...] = (),
    deferred: tuple[str, ...] = (),
    remote: str | None = None,
    max_wait_seconds: float = 3 * 86400.0,
    queue: str | None = None,
) -> OutboxKind:
    """Register a concrete OutboxRow model and the handler that performs one row's effect.

    The handler runs in the row's merchant scope and raises `koongo.http` errors: TransientError and RateLimited
    back off and retry, PermanentError and AuthError kill the row and open a Problem, and `Waiting` retries without
    spending an attempt. The lease must outlast a normal execution, or a slow row would be claimed again while it
    runs. A handler may return `DoneWith(fields)`: the row's own fields (e.g. a result) written by the completing
    UPDATE, not by one of their own.
    """
    if not issubclass(model, OutboxRow):
        raise TypeError(f"{model.__name__} is not an OutboxRow")
    kind = OutboxKind(
        model, handler, max_attempts, lease_seconds, backoff_base, backoff_max, describe, on_dead, tuple(related), tuple(deferred),
        remote, max_wait_seconds, queue,
    )  # fmt: skip
    _kinds[kind.label] = kind
    return kind


def outbox_kinds() -> dict[str, OutboxKind]:
    return dict(_kinds)


def outbox_kind(label: str) -> OutboxKind:
    try:
        return _kinds[label.lower()]
    except KeyError:
        raise ValueError(f"no outbox kind {label!r} is registered") from None


def outbox_schedule(row: OutboxRow) -> None:
    """Execute a freshly written row as soon as the transaction that wrote it commits."""
    transaction.on_commit(partial(_enqueue, row._meta.label_lower, row.pk))


def _enqueue(label: str, pk: int) -> None:
    enqueue(OUTBOX_EXECUTE, label, pk, queue=outbox_kind(label).queue)


def outbox_backoff(
    kind: OutboxKind, attempts: int, retry_after: float | None = None, rand: Callable[[], float] | None = None
) -> float:
    """Seconds until the next attempt: exponential with jitter, and never sooner than the remote's Retry-After."""
    rand = rand or random.random
    if retry_after is not None:
        # The remote said when; a little jitter keeps a crowd of rows from returning in the same second.
        return retry_after + rand() * min(10.0, max(1.0, retry_after * 0.1))
    ceiling = min(kind.backoff_max, kind.backoff_base * 2 ** max(0, attempts - 1)) * time_scale()
    # "Equal jitter": at least half the step, so retries spread out without collapsing towards zero.
    return ceiling / 2 + rand() * ceiling / 2


def _claimable(now) -> Q:
    due = Q(state__in=[OutboxState.PENDING, OutboxState.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=OutboxState.IN_FLIGHT, lease_expires_at__lt=now)
    return due | abandoned


def outbox_claim(row: OutboxRow) -> bool:
    """Make the row ours with one conditional UPDATE (due, or its lease expired); False if not ours.

    The UPDATE is also fenced on the attempt count we loaded, so the values set in memory are the row's own without a
    re-read: a row changed meanwhile (claimed, requeued) is simply not ours this time.
    """
    kind = outbox_kind(row._meta.label_lower)
    now = timezone.now()
    lease = now + kind.lease
    claimed = (
        type(row)
        .objects.filter(_claimable(now), pk=row.pk, attempts=row.attempts)
        .update(state=OutboxState.IN_FLIGHT, attempts=F("attempts") + 1, lease_expires_at=lease, swept_at=None, updated_at=now)
    )
    if claimed:
        row.state, row.attempts, row.lease_expires_at, row.swept_at, row.updated_at = OutboxState.IN_FLIGHT, row.attempts + 1, lease, None, now
    return bool(claimed)


def outbox_claim_many(rows: list[OutboxRow]) -> list[OutboxRow]:
    """`outbox_claim` for rows of one kind at once: one locking read and one UPDATE; returns the rows made ours.

    Same fence as one claim: a row is ours only if it is claimable and its attempt count is still the one we loaded.
    """
    if not rows:
        return []
    model, kind = type(rows[0]), outbox_kind(rows[0]._meta.label_lower)
    now = timezone.now()
    lease = now + kind.lease
    loaded = {row.pk: row.attempts for row in rows}
    with transaction.atomic():
        # skip_locked: a row another worker is claiming right now is simply not ours, as with one conditional UPDATE.
        current = model.objects.filter(_claimable(now), pk__in=list(loaded)).select_for_update(skip_locked=True)
        ours = [pk for pk, attempts in current.values_list("pk", "attempts") if loaded[pk] == attempts]
        if ours:
            model.objects.filter(pk__in=ours).update(
                state=OutboxState.IN_FLIGHT, attempts=F("attempts") + 1, lease_expires_at=lease, swept_at=None, updated_at=now
            )
    claimed = set(ours)
    for row in rows:
        if row.pk in claimed:
            row.state, row.attempts, row.lease_expires_at, row.swept_at, row.updated_at = OutboxState.IN_FLIGHT, row.attempts + 1, lease, None, now
    return [row for row in rows if row.pk in claimed]


def _fenced(row: OutboxRow):
    """Our claim, still: in flight under the attempt number we claimed."""
    return type(row).objects.filter(pk=row.pk, state=OutboxState.IN_FLIGHT, attempts=row.attempts)


def outbox_execute(model_label: str, pk: int) -> str:
    """Claim one row and run its handler; returns the outcome: done, failed, dead, lost_lease, not_claimed, missing,
    or remote_busy (another task holds the row's remote and runs it)."""
    kind = outbox_kind(model_label)
    # A task's first load by id: the row's merchant scope is entered before anything else is read or written.
    with scopes_disabled():
        row = _loaded(kind).filter(pk=pk).first()
    if row is None:
        return "missing"
    with merchant_scope(row.merchant):
        if kind.remote is None:
            return _execute(kind, row)
        return _execute_holding_remote(kind, row)


def _loaded(kind: OutboxKind):
    return kind.model.objects.select_related("merchant", *kind.related).defer(*kind.deferred)


def _execute(kind: OutboxKind, row: OutboxRow) -> str:
    with log_context(**_row_context(kind, row)):
        outcome = _claim_and_run(kind, row)
    metrics.OUTBOX_EXECUTIONS.labels(kind.label, outcome).inc()
    return outcome


def remote_slot_seconds() -> float:
    """How long a remote's slot outlives its holder: a killed holder delays that remote's rows by at most this."""
    return float(settings.OUTBOX_REMOTE_SLOT_SECONDS)


def _execute_holding_remote(kind: OutboxKind, row: OutboxRow) -> str:
    """Run the row holding its remote's lane, then that remote's other due rows of this kind (`drain_remote`)."""
    remote_id = kind.model.objects.filter(pk=row.pk).values_list(kind.remote, flat=True).first()
    if remote_id is None:
        return _execute(kind, row)
    with remote_lane(kind, remote_id) as lane:
        if lane is None:
            metrics.OUTBOX_EXECUTIONS.labels(kind.label, "remote_busy").inc()
            return "remote_busy"
        started = monotonic()
        outcome = _execute(kind, row)
        drain_remote(kind, remote_id, lane, started=started, done={row.pk})
    return outcome


@contextlib.contextmanager
def remote_lane(kind: OutboxKind, remote_id) -> Iterator[Lease | None]:
    """The lane of one kind and remote (e.g. store pushes to one store), or None while another task holds it.

    A remote with a request budget (a store's 2 requests a second) goes no faster with more workers: the others only
    sleep in its rate limiter, and a chaos run found all four worker processes asleep there for one PrestaShop shop
    while 1,700 tasks of every other store waited. So one task per kind and remote runs its rows, and a task that finds
    the lane taken leaves its rows due for the holder (or, if the holder dies, to the sweeper).
    """
    with locks().lease(f"outbox-remote:{kind.label}:{remote_id}", remote_slot_seconds()) as lane:
        yield lane


def drain_remote(kind: OutboxKind, remote_id, lane: Lease, *, started: float, done: set) -> None:
    """Run the remote's other due rows of this kind one by one, in the caller's merchant scope, while the lane holds;
    after a lease from `started`, the rest goes to a new task, so one task does not keep a worker for ever."""
    deadline = started + kind.lease.total_seconds()
    while lane.renew():
        following = (
            _loaded(kind).filter(_claimable(timezone.now()), **{kind.remote: remote_id}).exclude(pk__in=done)
            .order_by("next_attempt_at", "pk").first()
        )  # fmt: skip
        if following is None:
            return
        if monotonic() > deadline:
            _enqueue(kind.label, following.pk)
            return
        done.add(following.pk)
        _execute(kind, following)


def outbox_execute_inline(row: OutboxRow, handler: Callable[[OutboxRow], DoneWith | None] | None = None) -> str:
    """Claim and run a row its writer did not publish, in the caller's merchant scope (e.g. a flow with its own client).

    The row was written pending and due, so if the caller dies first the sweeper enqueues it like any other.
    """
    kind = outbox_kind(row._meta.label_lower)
    with log_context(**_row_context(kind, row)):
        outcome = _claim_and_run(kind, row, handler or kind.handler)
    metrics.OUTBOX_EXECUTIONS.labels(kind.label, outcome).inc()
    return outcome


def outbox_execute_many(
    rows: list[OutboxRow],
    handler: Callable[[OutboxRow], DoneWith | None],
    *,
    chunk: int = 20,
    prepare: Callable[[list[OutboxRow]], None] | None = None,
    finish: Callable[[list[OutboxRow]], None] | None = None,
) -> Counter:
    """`outbox_execute_inline` for a batch of one kind's rows: claimed and completed `chunk` rows at a time, in one
    query each way, instead of two UPDATEs per row. Returns the outcomes counted.

    `prepare(claimed)` runs after each chunk's claim, to load what its handlers read in one query; `finish(claimed)`
    after its handlers and before the completing UPDATE, for writes the handlers left to it (whatever their outcome).
    The chunk bounds how long a claimed row waits for its turn, which must stay well inside the lease.
    """
    outcomes: Counter = Counter()
    if not rows:
        return outcomes
    kind = outbox_kind(rows[0]._meta.label_lower)
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        claimed = outbox_claim_many(part)
        outcomes["not_claimed"] += len(part) - len(claimed)
        if prepare and claimed:
            prepare(claimed)
        finished: list[tuple[OutboxRow, dict | None]] = []
        try:
            for row in claimed:
                with log_context(**_row_context(kind, row)):
                    outcome = _run_claimed(kind, row, handler, done=finished)
                if outcome != "done":
                    outcomes[outcome] += 1
        finally:
            if finish and claimed:
                finish(claimed)
            done = _complete_many(finished)
            outcomes["done"] += done
            outcomes["lost_lease"] += len(finished) - done
    for outcome, number in outcomes.items():
        if number:
            metrics.OUTBOX_EXECUTIONS.labels(kind.label, outcome).inc(number)
    return +outcomes


def _row_context(kind: OutboxKind, row: OutboxRow) -> dict:
    """What every log line of this execution carries: the row, and the order, transfer or RMA it is about."""
    context = {"outbox": kind.label, "outbox_row": row.pk}
    for name in ("order_id", "transfer_id", "rma_id", "connection_id"):
        if getattr(row, name, None) is not None:
            context[name] = getattr(row, name)
    return context | row.log_context()


def _claim_and_run(kind: OutboxKind, row: OutboxRow, handler: Callable[[OutboxRow], DoneWith | None] | None = None) -> str:
    if not outbox_claim(row):
        return "not_claimed"
    return _run_claimed(kind, row, handler)


def _run_claimed(kind: OutboxKind, row: OutboxRow, handler=None, *, done: list | None = None) -> str:
    """Run a claimed row's handler and record its outcome; with `done`, a success is left there for a bulk completion."""
    if row.attempts > kind.max_attempts:
        # Only a worker that died mid-attempt (lease expired, claimed again) gets here: stop re-running a row that kills it.
        return _bury(kind, row, f"gave up after {row.attempts - 1} attempts; the worker stopped during the last ones")
    try:
        fields = (handler or kind.handler)(row)
    except (PermanentError, AuthError) as error:
        return _bury(kind, row, _describe_error(error))
    except TransientError as error:
        return _fail(kind, row, _describe_error(error), getattr(error, "retry_after", None))
    except Waiting as waiting:
        return _wait(kind, row, str(waiting), woken=waiting.woken)
    except Exception as error:  # a bug or a database hiccup in the handler: keep the row and retry it with backoff
        log.exception("outbox %s %s: unexpected error in handler", kind.label, row.pk)
        return _fail(kind, row, _describe_error(error), None)
    fields = fields.fields if isinstance(fields, DoneWith) else None
    if done is not None:
        done.append((row, fields))
        return "done"
    return _complete(row, fields)


def _describe_error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:LAST_ERROR_LIMIT]


def _complete(row: OutboxRow, fields: dict | None = None) -> str:
    now = timezone.now()
    row.set_state(OutboxState.DONE)
    done = {**(fields or {}), "state": row.state, "done_at": now, "lease_expires_at": None, "last_error": "", "updated_at": now}
    if not _fenced(row).update(**done):
        log.warning("outbox %s %s finished after its lease was taken over", row._meta.label_lower, row.pk)
        return "lost_lease"
    return "done"


def _complete_many(finished: list[tuple[OutboxRow, dict | None]]) -> int:
    """Complete rows in one UPDATE per attempt number and set of result fields (each fenced like `_complete`); a
    field's values go row by row in a CASE. Returns how many were still ours."""
    completed = 0
    groups: dict[tuple, list[tuple[OutboxRow, dict]]] = {}
    for row, fields in finished:
        groups.setdefault((row.attempts, tuple(sorted(fields or {}))), []).append((row, fields or {}))
    now = timezone.now()
    for (attempts, names), group in groups.items():
        rows = [row for row, _fields in group]
        for row in rows:
            row.set_state(OutboxState.DONE)
        model = type(rows[0])
        own = {
            name: Case(*[When(pk=row.pk, then=Value(fields[name], output_field=model._meta.get_field(name))) for row, fields in group],
                       output_field=model._meta.get_field(name))
            for name in names
        }
        updated = model.objects.filter(pk__in=[row.pk for row in rows], state=OutboxState.IN_FLIGHT, attempts=attempts).update(
            **own, state=OutboxState.DONE, done_at=now, lease_expires_at=None, last_error="", updated_at=now
        )
        if updated < len(rows):
            log.warning("outbox %s: %d of %d rows finished after their lease was taken over", model._meta.label_lower,
                        len(rows) - updated, len(rows))
        completed += updated
    return completed


def _fail(kind: OutboxKind, row: OutboxRow, error: str, retry_after: float | None) -> str:
    if row.attempts >= kind.max_attempts:
        return _bury(kind, row, f"gave up after {row.attempts} attempts: {error}")
    now = timezone.now()
    row.set_state(OutboxState.FAILED)
    # The wait lives in the row, never in a Celery countdown: the sweeper enqueues it again once it is due.
    next_attempt_at = now + timedelta(seconds=outbox_backoff(kind, row.attempts, retry_after))
    updated = _fenced(row).update(
        state=row.state, next_attempt_at=next_attempt_at, lease_expires_at=None, last_error=error, updated_at=now
    )
    return "failed" if updated else "lost_lease"


def _wait(kind: OutboxKind, row: OutboxRow, reason: str, *, woken: bool = False) -> str:
    """Give the claimed attempt back and look again later: sooner while the wait is young, at most every
    WAIT_POLL_MAX_SECONDS (always that when the prerequisite wakes the row); a row that has waited `max_wait_seconds`
    since it was written dies."""
    now = timezone.now()
    waited = (now - row.created_at).total_seconds()
    scale = time_scale()
    if waited > kind.max_wait_seconds * scale:
        return _bury(kind, row, f"waited {round(waited / 3600, 1)} h and gave up: {reason}")
    poll_max = WAIT_POLL_MAX_SECONDS * scale
    delay = poll_max if woken else min(poll_max, max(kind.backoff_base * scale, waited / 4))
    row.set_state(OutboxState.FAILED)
    updated = _fenced(row).update(
        state=row.state, attempts=F("attempts") - 1, next_attempt_at=now + timedelta(seconds=delay), lease_expires_at=None,
        last_error=reason[:LAST_ERROR_LIMIT], updated_at=now,
    )  # fmt: skip
    if not updated:
        return "lost_lease"
    row.attempts -= 1
    return "waiting"


def _bury(kind: OutboxKind, row: OutboxRow, error: str) -> str:
    now = timezone.now()
    row.set_state(OutboxState.DEAD)
    with transaction.atomic():
        if not _fenced(row).update(state=row.state, lease_expires_at=None, last_error=error[:LAST_ERROR_LIMIT], updated_at=now):
            return "lost_lease"
        row.last_error = error
        details = {"message": f"{kind.model._meta.verbose_name.capitalize()} {row.pk} failed and will not be retried: {error}"}
        if kind.describe:
            details.update(kind.describe(row))
        problem_raise(
            merchant=row.merchant,
            kind=OUTBOX_DEAD,
            fingerprint=f"{OUTBOX_DEAD}:{kind.label}:{row.pk}",
            subject_type=kind.label,
            subject_id=row.pk,
            **details,
        )
        if kind.on_dead:
            kind.on_dead(row)
    return "dead"


def outbox_sweep(*, batch_size: int = 500, max_batches: int = 20) -> int:
    """Enqueue the due and lease-expired rows of every registered kind; returns how many were enqueued.

    A row the sweeper enqueued is enqueued again when its task has not claimed it within a lease: the message is
    presumed lost. While the queue holds a backlog (`batch_size` messages or more) that presumption is wrong, since the
    row is still waiting in it: a chaos run enqueued every row about eight times (4,700 tasks for 600 rows) and new
    work waited behind the copies. So a backlog suspends re-enqueueing; rows never enqueued still go. Each kind's
    backlog is counted in the queue its tasks go to.
    """
    backlogs: dict[str, bool] = {}  # per queue, counted once per sweep
    enqueued = 0
    for kind in _kinds.values():
        queue = kind.queue or settings.CELERY_TASK_DEFAULT_QUEUE
        if queue not in backlogs:
            waiting = queued(queue)
            backlogs[queue] = waiting is not None and waiting >= batch_size
        enqueued += _sweep_kind(kind, batch_size, max_batches, backlog=backlogs[queue])
    return enqueued


def _sweep_kind(kind: OutboxKind, batch_size: int, max_batches: int, *, backlog: bool) -> int:
    enqueued = 0
    for _ in range(max_batches):
        now = timezone.now()
        recently_swept = Q(swept_at__isnull=False) if backlog else Q(swept_at__gte=now - kind.lease)
        # A beat sweeper works across merchants (an allowed place for scopes_disabled); each task scopes its row.
        with scopes_disabled(), transaction.atomic():
            # skip_locked lets a second sweeper take other rows instead of waiting for (and repeating) these.
            due = kind.model.objects.filter(_claimable(now)).exclude(recently_swept).order_by("next_attempt_at")
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size])
            kind.model.objects.filter(pk__in=pks).update(swept_at=now)
            for pk in pks:
                transaction.on_commit(partial(_enqueue, kind.label, pk))
        enqueued += len(pks)
        if len(pks) < batch_size:
            break
    return enqueued


def _requeue(model: type[OutboxRow], pks) -> list[int]:
    """Dead or failed rows among `pks` back to pending, due now, with a fresh attempt budget; enqueued on commit."""
    now = timezone.now()
    with transaction.atomic():
        # Locked, so a sweeper's claim of a failed row cannot slip between this read and the update.
        stuck = list(model.objects.filter(pk__in=pks, state__in=STUCK_STATES).select_for_update().values_list("pk", flat=True))
        model.objects.filter(pk__in=stuck).update(
            state=OutboxState.PENDING, attempts=0, next_attempt_at=now, lease_expires_at=None, swept_at=None, updated_at=now
        )
        for pk in stuck:
            transaction.on_commit(partial(_enqueue, model._meta.label_lower, pk))
    return stuck


def outbox_retry(row: OutboxRow) -> bool:
    """Send a dead or failed row back to pending, due now; False (and nothing changes) if it is not stuck."""
    requeued = bool(_requeue(type(row), [row.pk]))
    row.refresh_from_db()
    return requeued


def _dead_row(problem: Problem) -> OutboxRow:
    kind = outbox_kind(problem.subject_type)
    row = kind.model.objects.filter(pk=problem.subject_id).first()
    if row is None:
        raise ProblemActionRefused(gettext("The outbox row of this problem no longer exists; mark the problem handled."))
    return row


def _retry_dead_row(problem: Problem) -> None:
    row = _dead_row(problem)
    if not outbox_retry(row) and row.state == OutboxState.DONE:
        raise ProblemActionRefused(gettext("This row has already been carried out; mark the problem handled."))


def _retry_dead_rows(problems: list[Problem]) -> None:
    """Retry-all: one read and one UPDATE per outbox model instead of a round trip per problem."""
    by_label: dict[str, list[str]] = {}
    for problem in problems:
        by_label.setdefault(problem.subject_type, []).append(problem.subject_id)
    for label, pks in by_label.items():
        _requeue(outbox_kind(label).model, pks)


# Registered next to the outbox that raises it (problems.py cannot import this module without a cycle).
register_problem_kind(OUTBOX_DEAD, label=gettext_lazy("Failed remote update"), retry=_retry_dead_row, retry_many=_retry_dead_rows)
