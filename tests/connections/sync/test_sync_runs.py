"""Sync runs: `sync_request` (active run on a second press, refusals), the run lifecycle, counters, the lock, and
refused credentials pausing the connection."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_scopes import scopes_disabled

from connections.models import Direction, MiintoConnection, RunStatus, SyncRun
from connections.sync import runs
from connections.sync.runs import SyncRefused, sync_request
from connections.sync.tasks import run_flow
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from koongo.http import AuthError, CallRecord, TransientError
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def request_orders(connection, trigger="button"):
    with merchant_scope(connection.merchant):
        return sync_request(connection=connection, flow="orders", trigger=trigger)


def all_runs():
    with scopes_disabled():
        return list(SyncRun.objects.order_by("pk"))


def reload(connection):
    with scopes_disabled():
        return MiintoConnection.objects.get(pk=connection.pk)


def test_a_request_queues_a_run_and_starts_it_on_commit(connection, orders_flow, frozen, django_capture_on_commit_callbacks):
    orders_flow.bumps = [{"seen": 3, "accepted": 2}, {"seen": 1, "declined": 1}]
    with django_capture_on_commit_callbacks(execute=False) as pending:
        run = request_orders(connection)
        assert (run.status, run.trigger, run.flow) == (RunStatus.QUEUED, "button", "orders")
    assert orders_flow.calls == []
    for callback in pending:
        callback()
    assert orders_flow.calls == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.started_at, run.finished_at, run.error_summary) == (RunStatus.SUCCEEDED, T0, T0, "")
    assert [value for _, value in run.counter_items] == [4, 2, 1, 0, 0, 0]
    fresh = reload(connection)
    assert fresh.last_synced == {"orders": T0.isoformat()}
    assert fresh.next_sync_at == T0 + timedelta(minutes=5)


def test_a_second_press_while_a_run_is_active_returns_that_run(connection, orders_flow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        first = request_orders(connection)
        second = request_orders(connection, trigger="api")
    assert second.pk == first.pk
    assert len(all_runs()) == 1
    assert len(pending) == 1  # one run, enqueued once


def test_after_a_run_finishes_a_press_starts_a_new_one(connection, orders_flow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = request_orders(connection)
    with django_capture_on_commit_callbacks(execute=True):
        second = request_orders(connection)
    assert second.pk != first.pk
    assert [run.status for run in all_runs()] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]


def test_an_unregistered_flow_is_refused_and_creates_nothing(connection, orders_flow):
    with merchant_scope(connection.merchant), pytest.raises(SyncRefused) as refused:
        sync_request(connection=connection, flow="shipments", trigger="button")
    assert refused.value.message_dict == {"flow": ["Shipments synchronization is not available yet."]}
    assert all_runs() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "disabled"}, "This connection is disabled. Activate it before synchronizing."),
        (
            {"paused_at": T0, "paused_reason": "Miinto rejected the credentials on 2026-03-01 08:00 UTC."},
            "This connection is paused: Miinto rejected the credentials on 2026-03-01 08:00 UTC.",
        ),
    ],
    ids=["disabled", "paused"],
)
def test_a_disabled_or_paused_connection_is_refused(merchant, orders_flow, fields, message):
    connection = make_connection(merchant, **fields)  # noqa: F405
    with pytest.raises(SyncRefused) as refused:
        request_orders(connection)
    assert refused.value.messages == [message]
    assert all_runs() == []


def test_item_failures_make_the_run_partial_with_a_summary(connection, orders_flow, django_capture_on_commit_callbacks):
    orders_flow.bumps = [{"seen": 5, "accepted": 3, "failed": 2}]
    orders_flow.notes = ["transfer 17: product EAN 5701 not found", "transfer 18: product EAN 5702 not found"]
    with django_capture_on_commit_callbacks(execute=True):
        run = request_orders(connection)
    run.refresh_from_db()
    assert (run.status, run.seen, run.failed) == (RunStatus.PARTIAL, 5, 2)
    assert run.error_summary == "transfer 17: product EAN 5701 not found\ntransfer 18: product EAN 5702 not found"
    assert "orders" in reload(connection).last_synced


def test_a_failing_runner_fails_the_run_and_keeps_the_last_sync_time(connection, orders_flow, django_capture_on_commit_callbacks):
    orders_flow.bumps = [{"seen": 1}]
    orders_flow.error = TransientError("GET /transfers answered 503", status=503)
    with django_capture_on_commit_callbacks(execute=True):
        run = request_orders(connection)
    run.refresh_from_db()
    assert (run.status, run.seen, run.error_summary) == (RunStatus.FAILED, 1, "TransientError: GET /transfers answered 503")
    assert reload(connection).last_synced == {}
    assert reload(connection).paused_at is None


def test_refused_miinto_credentials_pause_the_connection(connection, orders_flow, frozen, django_capture_on_commit_callbacks):
    orders_flow.error = AuthError("POST /channels answered 401", status=401)
    with django_capture_on_commit_callbacks(execute=True):
        run = request_orders(connection)
    reason = "Miinto rejected the credentials on 2026-03-02 09:00 UTC. Update them to resume synchronization."
    run.refresh_from_db()
    assert (run.status, run.error_summary) == (RunStatus.FAILED, reason)
    fresh = reload(connection)
    assert (fresh.paused_at, fresh.paused_reason, fresh.paused_source) == (T0, reason, "miinto_credentials")
    with pytest.raises(SyncRefused):
        request_orders(fresh)


def test_refused_store_credentials_say_it_was_the_store(connection, orders_flow, frozen, django_capture_on_commit_callbacks):
    def store_refuses(ctx):
        ctx.recorder(Direction.TO_MIINTO)(CallRecord("GET", "https://miinto.example/transfers", 200, 12))
        ctx.recorder(Direction.TO_STORE)(CallRecord("GET", "https://shop.example/admin/orders.json", 401, 8, error="401"))

    orders_flow.during = store_refuses
    orders_flow.error = AuthError("401", status=401)
    with django_capture_on_commit_callbacks(execute=True):
        request_orders(connection)
    assert reload(connection).paused_reason.startswith("The store rejected the credentials on 2026-03-02 09:00 UTC.")
    assert reload(connection).paused_source == "store_credentials"
    with merchant_scope(connection.merchant):
        from connections.models import ActivityEntry

        assert list(ActivityEntry.objects.order_by("pk").values_list("direction", "http_status", "ok")) == [
            ("to_miinto", 200, True),
            ("to_store", 401, False),
        ]


def test_a_run_whose_flow_is_locked_stays_queued(connection, orders_flow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = request_orders(connection)
    with locks().hold(f"sync:{connection.pk}:orders", ttl=30) as held:
        assert held
        assert run_flow.delay(run.pk).get() == "busy"
    assert orders_flow.calls == []
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_a_redelivered_task_does_not_run_twice(connection, orders_flow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_orders(connection)
    assert run_flow.delay(run.pk).get() == "not_queued"
    assert orders_flow.calls == [run.pk]


def test_counters_are_bumped_together_and_unknown_ones_refused(connection, orders_flow):
    run = request_orders(connection)
    with merchant_scope(connection.merchant):
        runs.sync_run_bump(run, seen=10, pushed=4)
        runs.sync_run_bump(run, seen=5, skipped=1)
        with pytest.raises(ValueError, match="unknown run counters: orders"):
            runs.sync_run_bump(run, orders=1)
    run.refresh_from_db()
    assert (run.seen, run.pushed, run.skipped) == (15, 4, 1)


def test_the_next_sync_is_an_interval_after_the_run_ended(connection, orders_flow, frozen, django_capture_on_commit_callbacks):
    with scopes_disabled():
        MiintoConnection.objects.filter(pk=connection.pk).update(next_sync_at=T0 + timedelta(minutes=1))

    orders_flow.during = lambda ctx: frozen.shift(timedelta(minutes=3))  # a slow run
    with django_capture_on_commit_callbacks(execute=True):
        request_orders(connection)
    assert reload(connection).next_sync_at == T0 + timedelta(minutes=8)


def test_stale_runs_are_failed_and_fresh_ones_left_alone(connection, merchant, orders_flow, frozen):
    other = make_connection(merchant, shop_id="1-m!i!s-045-3000")  # noqa: F405
    with merchant_scope(merchant):
        lost_in_queue = SyncRun.objects.create(
            merchant=merchant, connection=connection, flow="orders", trigger="schedule", created_at=T0 - timedelta(minutes=16)
        )
        waiting = SyncRun.objects.create(
            merchant=merchant, connection=connection, flow="stock", trigger="schedule", created_at=T0 - timedelta(minutes=14)
        )
        hung = SyncRun.objects.create(
            merchant=merchant,
            connection=other,
            flow="orders",
            trigger="schedule",
            status="running",
            started_at=T0 - timedelta(hours=1),
        )
    assert runs.sync_runs_fail_stale() == 2
    statuses = {run.pk: (run.connection_id, run.status, run.error_summary) for run in all_runs()}
    replacement = max(statuses)  # the lost worker's flow is queued again at once
    assert statuses == {
        lost_in_queue.pk: (connection.pk, "failed", "No worker picked this run up; the next one will."),
        waiting.pk: (connection.pk, "queued", ""),
        hung.pk: (other.pk, "failed", "The worker stopped before finishing this run."),
        replacement: (other.pk, "queued", ""),
    }


def test_registering_an_unknown_flow_is_refused(orders_flow):
    with pytest.raises(ValueError, match="unknown flow 'invoices'"):
        runs.register_flow("invoices", lambda ctx: None)


@pytest.mark.postgres
def test_two_simultaneous_presses_get_the_same_run(committed_db, connection, orders_flow, monkeypatch):
    ready = threading.Barrier(2, timeout=10)
    real_active_run = runs._active_run

    def look_together(*args):
        found = real_active_run(*args)
        if found is None:
            ready.wait()  # both requests saw no active run; both now try to insert one
        return found

    monkeypatch.setattr(runs, "_active_run", look_together)
    monkeypatch.setattr(runs, "_enqueue_run", lambda run_id: None)
    results = run_in_threads(lambda _: request_orders(connection).pk, 2)  # noqa: F405
    assert results[0] == results[1]
    assert len(all_runs()) == 1


def test_a_run_declared_lost_keeps_that_verdict_when_its_worker_finishes(
    connection, orders_flow, django_capture_on_commit_callbacks
):
    def declared_lost(ctx):
        with scopes_disabled():
            SyncRun.objects.filter(pk=ctx.run.pk).update(
                status="failed", error_summary="The worker stopped before finishing this run."
            )

    orders_flow.during = declared_lost
    with django_capture_on_commit_callbacks(execute=True):
        run = request_orders(connection)
    run.refresh_from_db()
    assert (run.status, run.error_summary) == ("failed", "The worker stopped before finishing this run.")
    assert reload(connection).last_synced == {}
