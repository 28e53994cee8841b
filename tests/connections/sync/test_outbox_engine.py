"""The outbox base on a test-only kind: claim and lease, worker death, backoff and Retry-After, death into a Problem,
retry from the Problem, the sweeper, and two workers racing for one row on PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import F
from django_scopes import scopes_disabled

from connections.models import OutboxState, Problem, ProblemState
from connections.sync import outbox
from connections.sync.problems import ProblemActionRefused, problem_retry, problem_retry_all
from koongo.accounts.tenancy import merchant_scope
from koongo.http import AuthError, PermanentError, RateLimited, TransientError
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_row(merchant, message="hello", **fields):
    from tests.testapp.models import EchoOutbox

    with merchant_scope(merchant):
        return EchoOutbox.objects.create(merchant=merchant, message=message, idempotency_key=f"echo-{message}", **fields)


def fresh(row):
    with scopes_disabled():
        row.refresh_from_db()
    return row


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def half_jitter(monkeypatch):
    """Jitter draws 0.5, so backoff times are exact."""
    monkeypatch.setattr(outbox.random, "random", lambda: 0.5)


def test_claim_takes_a_due_row_once_with_a_lease(merchant, echo_kind, frozen):
    row = make_row(merchant)
    with merchant_scope(merchant):
        assert outbox.outbox_claim(row) is True
        assert (row.state, row.attempts, row.lease_expires_at) == (OutboxState.IN_FLIGHT, 1, T0 + timedelta(seconds=60))
        assert outbox.outbox_claim(make_row(merchant, "other")) is True
        assert outbox.outbox_claim(row) is False
    assert fresh(row).attempts == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"next_attempt_at": T0 + timedelta(seconds=1)},
        {"state": OutboxState.FAILED, "next_attempt_at": T0 + timedelta(minutes=5)},
        {"state": OutboxState.IN_FLIGHT, "lease_expires_at": T0 + timedelta(seconds=1)},
        {"state": OutboxState.DONE},
        {"state": OutboxState.DEAD},
    ],
    ids=["pending-not-due", "failed-not-due", "in-flight-leased", "done", "dead"],
)
def test_claim_refuses_rows_that_are_not_due(merchant, echo_kind, frozen, fields):
    row = make_row(merchant, **fields)
    with merchant_scope(merchant):
        assert outbox.outbox_claim(row) is False
    assert (fresh(row).state, row.attempts) == (fields.get("state", OutboxState.PENDING), 0)


def test_success_marks_the_row_done_and_clears_the_lease(merchant, echo_kind, frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = make_row(merchant)
        with merchant_scope(merchant):
            outbox.outbox_schedule(row)
    fresh(row)
    assert echo_kind.handler.calls == [row.pk]
    assert (row.state, row.attempts, row.lease_expires_at, row.done_at, row.last_error) == (OutboxState.DONE, 1, None, T0, "")


def test_a_dead_worker_leaves_the_row_to_be_claimed_again_after_its_lease(
    merchant, echo_kind, frozen, django_capture_on_commit_callbacks
):
    row = make_row(merchant)
    with merchant_scope(merchant):
        assert outbox.outbox_claim(row)  # the worker claims it, then dies without a word
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_sweep() == 0  # the lease still holds
    assert echo_kind.handler.calls == []

    frozen.shift(timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_sweep() == 1
    assert echo_kind.handler.calls == [row.pk]
    assert (fresh(row).state, row.attempts) == (OutboxState.DONE, 2)


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_owner(merchant, echo_kind, frozen):
    row = make_row(merchant)

    def taken_over(claimed):
        # Another worker re-claims the row while this handler is still running.
        type(claimed).objects.filter(pk=claimed.pk).update(attempts=F("attempts") + 1)

    echo_kind.handler.during = taken_over
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "lost_lease"
    assert (fresh(row).state, row.attempts, row.done_at) == (OutboxState.IN_FLIGHT, 2, None)


def test_transient_error_backs_off_in_the_row_without_a_celery_retry(merchant, echo_kind, frozen, half_jitter):
    from connections.sync.tasks import outbox_execute

    row = make_row(merchant)
    echo_kind.handler.script = [TransientError("GET /orders answered 503", status=503)]
    assert outbox_execute.delay(echo_kind.label, row.pk).get() == "failed"
    fresh(row)
    # attempt 1: step 10 s, equal jitter at 0.5 → 5 + 2.5 s
    assert (row.state, row.attempts, row.next_attempt_at) == (OutboxState.FAILED, 1, T0 + timedelta(seconds=7.5))
    assert row.last_error == "TransientError: GET /orders answered 503"
    assert row.lease_expires_at is None
    assert echo_kind.handler.calls == [row.pk]


def test_rate_limited_row_waits_for_retry_after(merchant, echo_kind, frozen, half_jitter):
    row = make_row(merchant)
    echo_kind.handler.script = [RateLimited("slow down", status=429, retry_after=120)]
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "failed"
    # Retry-After 120 s plus jitter of 0.5 × min(10, 12) s; the exponential step (10 s) is not used.
    assert fresh(row).next_attempt_at == T0 + timedelta(seconds=125)
    with merchant_scope(merchant):
        frozen.shift(timedelta(seconds=124))
        assert outbox.outbox_claim(row) is False
        frozen.shift(timedelta(seconds=1))
        assert outbox.outbox_claim(row) is True


@pytest.mark.parametrize(
    ("attempts", "retry_after", "rand", "expected"),
    [
        (1, None, 0.0, 5.0),
        (1, None, 1.0, 10.0),
        (3, None, 0.0, 20.0),
        (9, None, 1.0, 600.0),
        (2, 3.0, 1.0, 4.0),
        (2, 300.0, 1.0, 310.0),
    ],
)
def test_backoff_is_exponential_capped_and_honours_retry_after(echo_kind, attempts, retry_after, rand, expected):
    assert outbox.outbox_backoff(echo_kind.kind, attempts, retry_after, rand=lambda: rand) == expected


def test_a_drills_outbox_clock_scales_backoffs_and_leases_but_not_retry_after_or_the_lease_floor(echo_kind, settings):
    settings.OUTBOX_TIME_SCALE = 0.2
    assert outbox.outbox_backoff(echo_kind.kind, 3, None, rand=lambda: 1.0) == 8.0  # 40 s on the production clock
    assert outbox.outbox_backoff(echo_kind.kind, 2, 300.0, rand=lambda: 1.0) == 310.0  # the remote's word stands
    assert echo_kind.kind.lease == timedelta(seconds=60)  # 12 s scaled, held at the floor
    settings.OUTBOX_TIME_SCALE = 3.0
    assert echo_kind.kind.lease == timedelta(seconds=180)


@pytest.mark.parametrize(
    "error", [PermanentError("422 invalid", status=422), AuthError("401", status=401)], ids=["permanent", "auth"]
)
def test_permanent_failure_kills_the_row_and_opens_a_problem(merchant, connection, echo_kind, frozen, error):
    row = make_row(merchant, connection=connection)
    echo_kind.handler.script = [error]
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "dead"
    assert fresh(row).state == OutboxState.DEAD
    with merchant_scope(merchant):
        problem = Problem.objects.get()
    assert (problem.kind, problem.state, problem.connection_id, problem.subject_type, problem.subject_id) == (
        "outbox_dead",
        ProblemState.OPEN,
        connection.pk,
        "testapp.echooutbox",
        str(row.pk),
    )
    assert problem.fingerprint == f"outbox_dead:testapp.echooutbox:{row.pk}"
    assert problem.message == f"Echo outbox {row.pk} failed and will not be retried: {type(error).__name__}: {error}"
    assert problem.excerpt == {"message": "hello", "token": "***"}


def test_exhausted_attempts_kill_the_row(merchant, echo_kind, frozen, half_jitter):
    row = make_row(merchant)
    echo_kind.handler.script = [TransientError("503")] * 3
    outcomes = []
    for _ in range(3):
        outcomes.append(outbox.outbox_execute(echo_kind.label, row.pk))
        frozen.shift(timedelta(hours=1))
    assert outcomes == ["failed", "failed", "dead"]
    assert (fresh(row).state, row.attempts, row.last_error) == (
        OutboxState.DEAD,
        3,
        "gave up after 3 attempts: TransientError: 503",
    )
    with merchant_scope(merchant):
        assert Problem.objects.filter(kind="outbox_dead", state="open").count() == 1


def test_waiting_for_a_prerequisite_spends_no_attempt(merchant, echo_kind, frozen):
    """A refund waiting for its store order must not use up its budget: a chaos run's refunds gave up after ten tries
    while a rate-limited store made their orders."""
    row = make_row(merchant, created_at=T0 - timedelta(seconds=200))
    echo_kind.handler.script = [outbox.Waiting("order 7 is not in the store yet")] * 5 + [None]
    outcomes, delays = [], []
    for _ in range(6):
        outcomes.append(outbox.outbox_execute(echo_kind.label, row.pk))
        fresh(row)
        delays.append((row.next_attempt_at - T0).total_seconds() if row.state == OutboxState.FAILED else None)
        frozen.move_to(max(row.next_attempt_at, T0))
    assert outcomes == ["waiting"] * 5 + ["done"]
    assert (row.state, row.attempts) == (OutboxState.DONE, 1)
    # Each look comes after a quarter of the wait so far (never sooner than the kind's backoff base, 10 s).
    assert delays[:3] == [50, 112.5, 190.625]


def test_a_row_its_prerequisite_wakes_looks_again_only_at_the_longest_poll(merchant, echo_kind, frozen):
    """A label link or refund waiting for its store order is made due when the order is recorded: polling sooner only
    filled the queue (a chaos run: 1,400 of 2,800 queued tasks were waiting label links)."""
    row = make_row(merchant, created_at=T0 - timedelta(seconds=200))
    echo_kind.handler.script = [outbox.Waiting("order 7 is not in the store yet", woken=True)]
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "waiting"
    assert (fresh(row).next_attempt_at - T0).total_seconds() == outbox.WAIT_POLL_MAX_SECONDS
    assert (row.state, row.attempts) == (OutboxState.FAILED, 0)


def test_a_row_that_waited_too_long_dies_into_a_problem(merchant, echo_kind, frozen, monkeypatch):
    monkeypatch.setattr(outbox, "_kinds", {echo_kind.label: dataclasses.replace(echo_kind.kind, max_wait_seconds=3600)})
    row = make_row(merchant, created_at=T0 - timedelta(minutes=61))
    echo_kind.handler.script = [outbox.Waiting("order 7 is not in the store yet")]
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "dead"
    assert (fresh(row).state, row.attempts, row.last_error) == (
        OutboxState.DEAD, 1, "waited 1.0 h and gave up: order 7 is not in the store yet"
    )
    with merchant_scope(merchant):
        assert Problem.objects.filter(kind="outbox_dead", state="open").count() == 1


def test_unexpected_handler_error_is_retried_not_lost(merchant, echo_kind, frozen):
    row = make_row(merchant)
    echo_kind.handler.script = [KeyError("store_order_id")]
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "failed"
    assert (fresh(row).state, row.last_error) == (OutboxState.FAILED, "KeyError: 'store_order_id'")


def test_a_row_that_keeps_killing_its_worker_dies_without_running_again(merchant, echo_kind, frozen):
    row = make_row(merchant, state=OutboxState.IN_FLIGHT, attempts=3, lease_expires_at=T0 - timedelta(seconds=1))
    assert outbox.outbox_execute(echo_kind.label, row.pk) == "dead"
    assert echo_kind.handler.calls == []
    assert fresh(row).last_error == "gave up after 3 attempts; the worker stopped during the last ones"


def test_retry_from_the_problem_runs_the_row_again(merchant, echo_kind, frozen, django_capture_on_commit_callbacks):
    row = make_row(merchant)
    echo_kind.handler.script = [PermanentError("400 bad address")]
    outbox.outbox_execute(echo_kind.label, row.pk)
    with merchant_scope(merchant):
        problem = Problem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        problem = problem_retry(merchant=merchant, problem=problem, by="owner@a.example")
    assert echo_kind.handler.calls == [row.pk, row.pk]
    assert (fresh(row).state, row.attempts) == (OutboxState.DONE, 1)
    assert (problem.state, problem.resolved_by, problem.resolved_at) == (ProblemState.RETRIED, "owner@a.example", T0)


def test_a_retried_row_that_dies_again_opens_a_new_problem(merchant, echo_kind, frozen, django_capture_on_commit_callbacks):
    row = make_row(merchant)
    echo_kind.handler.script = [PermanentError("400"), PermanentError("400 again")]
    outbox.outbox_execute(echo_kind.label, row.pk)
    with merchant_scope(merchant):
        first = Problem.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        problem_retry(merchant=merchant, problem=first, by="owner")
    with merchant_scope(merchant):
        assert list(Problem.objects.order_by("pk").values_list("state", "occurrences")) == [("retried", 1), ("open", 1)]


def test_retry_all_requeues_every_dead_row_of_the_kind(
    merchant, other_merchant, echo_kind, frozen, django_capture_on_commit_callbacks
):
    rows = [make_row(merchant, f"m{i}") for i in range(3)]
    foreign = make_row(other_merchant, "foreign")
    echo_kind.handler.script = [PermanentError("400")] * 4
    for row in [*rows, foreign]:
        outbox.outbox_execute(echo_kind.label, row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert problem_retry_all(merchant=merchant, kind="outbox_dead", by="owner") == 3
    assert [fresh(row).state for row in rows] == [OutboxState.DONE] * 3
    assert fresh(foreign).state == OutboxState.DEAD
    with scopes_disabled():
        states = dict(Problem.objects.values_list("merchant_id", "state").distinct())
    assert states == {merchant.pk: "retried", other_merchant.pk: "open"}


def test_retry_of_a_row_already_done_is_refused_and_the_problem_stays_open(merchant, echo_kind, frozen):
    row = make_row(merchant)
    echo_kind.handler.script = [PermanentError("400")]
    outbox.outbox_execute(echo_kind.label, row.pk)
    type(row).objects.with_scopes_disabled().filter(pk=row.pk).update(state=OutboxState.DONE)
    with merchant_scope(merchant):
        problem = Problem.objects.get()
    with pytest.raises(ProblemActionRefused, match="already been carried out"):
        problem_retry(merchant=merchant, problem=problem, by="owner")
    with merchant_scope(merchant):
        assert Problem.objects.get().state == ProblemState.OPEN


def test_outbox_retry_leaves_rows_that_are_not_stuck_alone(merchant, echo_kind, frozen):
    pending = make_row(merchant, "p", next_attempt_at=T0 + timedelta(hours=1))
    failed = make_row(merchant, "f", state=OutboxState.FAILED, attempts=2, next_attempt_at=T0 + timedelta(hours=1))
    with merchant_scope(merchant):
        assert outbox.outbox_retry(pending) is False
        assert outbox.outbox_retry(failed) is True
    assert (pending.state, pending.next_attempt_at) == (OutboxState.PENDING, T0 + timedelta(hours=1))
    assert (failed.state, failed.attempts, failed.next_attempt_at) == (OutboxState.PENDING, 0, T0)


def test_sweeper_enqueues_due_and_expired_rows_only(
    merchant, other_merchant, echo_kind, frozen, django_capture_on_commit_callbacks
):
    past, future = T0 - timedelta(seconds=1), T0 + timedelta(seconds=30)
    due = [
        make_row(merchant, "pending-due"),
        make_row(other_merchant, "failed-due", state=OutboxState.FAILED, next_attempt_at=past),
        make_row(merchant, "lease-expired", state=OutboxState.IN_FLIGHT, lease_expires_at=past),
        make_row(merchant, "swept-long-ago", swept_at=T0 - timedelta(seconds=61)),
    ]
    make_row(merchant, "pending-later", next_attempt_at=future)
    make_row(merchant, "failed-later", state=OutboxState.FAILED, next_attempt_at=future)
    make_row(merchant, "leased", state=OutboxState.IN_FLIGHT, lease_expires_at=future)
    make_row(merchant, "done", state=OutboxState.DONE)
    make_row(merchant, "dead", state=OutboxState.DEAD)
    make_row(merchant, "swept-just-now", swept_at=T0 - timedelta(seconds=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_sweep(batch_size=2) == 4
    assert sorted(echo_kind.handler.calls) == sorted(row.pk for row in due)


def test_sweeper_does_not_enqueue_a_backlog_twice(merchant, echo_kind, frozen, django_capture_on_commit_callbacks):
    make_row(merchant)
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert outbox.outbox_sweep() == 1
    frozen.shift(timedelta(seconds=59))  # the task is still waiting in the queue
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.outbox_sweep() == 0
    frozen.shift(timedelta(seconds=2))  # a whole lease later the enqueued task is presumed lost
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.outbox_sweep() == 1
    assert len(first) == 1


@pytest.mark.parametrize(("waiting", "enqueued"), [(500, 0), (499, 1), (None, 1)])
def test_a_backlog_in_the_queue_suspends_enqueueing_swept_rows_again(
    merchant, echo_kind, frozen, django_capture_on_commit_callbacks, monkeypatch, waiting, enqueued
):
    """A row swept a lease ago is presumed lost only when the queue is short: in a backlog it is still in there."""
    make_row(merchant, "swept-long-ago", swept_at=T0 - timedelta(seconds=61))
    monkeypatch.setattr(outbox, "queued", lambda queue: waiting)
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.outbox_sweep() == enqueued
    make_row(merchant, "never-swept")
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.outbox_sweep() == 1  # a row never enqueued goes, backlog or not


@pytest.mark.parametrize(("kind_queue", "enqueued"), [(None, 1), ("miinto", 0)])
def test_a_kinds_backlog_is_counted_in_the_queue_its_tasks_go_to(
    merchant, echo_kind, frozen, django_capture_on_commit_callbacks, monkeypatch, kind_queue, enqueued
):
    """Decision pushes go to the miinto queue: 1,200 copies piled up there while the default queue was short."""
    monkeypatch.setitem(outbox._kinds, echo_kind.label, dataclasses.replace(echo_kind.kind, queue=kind_queue))
    make_row(merchant, "swept-long-ago", swept_at=T0 - timedelta(seconds=61))
    monkeypatch.setattr(outbox, "queued", lambda queue: {"celery": 0, "miinto": 500}[queue])
    with django_capture_on_commit_callbacks(execute=False):
        assert outbox.outbox_sweep() == enqueued


def test_queued_counts_the_messages_waiting_in_a_broker_queue():
    """Against the real broker: a queue of our own, two messages, then gone."""
    from celery import current_app
    from kombu import Queue

    from connections.sync.enqueue import queued

    name = f"koongo-test-{uuid.uuid4().hex}"
    with current_app.connection_for_write() as connection:
        queue = Queue(name, routing_key=name)(connection.default_channel)
        queue.declare()
        try:
            with connection.Producer() as producer:
                for n in range(2):
                    producer.publish({"n": n}, routing_key=name, declare=[queue])
            assert queued(name) == 2
        finally:
            queue.purge()
            queue.delete()
    assert queued(name) in (None, 0)


def test_registering_a_model_that_is_not_an_outbox_is_refused():
    from connections.models import SyncRun

    with pytest.raises(TypeError, match="SyncRun is not an OutboxRow"):
        outbox.register_outbox(SyncRun, lambda row: None)


@pytest.mark.postgres
def test_two_workers_racing_for_one_row_run_it_once(committed_db, merchant, echo_kind, monkeypatch):
    row = make_row(merchant)
    ready = threading.Barrier(2, timeout=10)
    real_claim = outbox.outbox_claim

    def claim_together(claimed):
        ready.wait()  # both workers have loaded the row and now claim it at the same moment
        return real_claim(claimed)

    monkeypatch.setattr(outbox, "outbox_claim", claim_together)
    outcomes = run_in_threads(lambda _: outbox.outbox_execute(echo_kind.label, row.pk), 2)  # noqa: F405
    assert sorted(outcomes) == ["done", "not_claimed"]
    assert echo_kind.handler.calls == [row.pk]
    assert (fresh(row).state, row.attempts) == (OutboxState.DONE, 1)


def test_a_batch_completes_its_rows_with_their_own_fields_in_one_update(merchant, echo_kind, frozen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [make_row(merchant, f"m{index}") for index in range(3)]
    with merchant_scope(merchant), CaptureQueriesContext(connection) as queries:
        outcomes = outbox.outbox_execute_many(rows, lambda row: outbox.DoneWith({"message": row.message.upper()}))
    assert outcomes == {"done": 3}
    assert [(fresh(row).state, row.message) for row in rows] == [(OutboxState.DONE, f"M{index}") for index in range(3)]
    # One claim UPDATE and one completing UPDATE for the three rows (plus the claim's locking read).
    assert sum(query["sql"].startswith("UPDATE") for query in queries.captured_queries) == 2
