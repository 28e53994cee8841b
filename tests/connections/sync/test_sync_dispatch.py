"""The beat dispatcher and the connection tick: the dispatcher claims due, active, unpaused connections only, queues
one tick task per connection and advances `next_sync_at`; two dispatchers at once never claim the same connection
(PostgreSQL). A tick runs every scheduled flow of its connection that has no live run and whose lock is free."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_scopes import scopes_disabled

from connections.models import MiintoConnection, SyncRun
from connections.sync import runs
from connections.sync.tasks import dispatch_due_connections, run_connection_tick
from koongo.coordination import locks
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def runs_by_connection():
    with scopes_disabled():
        return sorted(SyncRun.objects.values_list("connection_id", "flow", "trigger", "status"))


def next_sync(connection):
    with scopes_disabled():
        return MiintoConnection.objects.get(pk=connection.pk).next_sync_at


def test_only_due_active_unpaused_connections_are_dispatched(
    merchant, other_merchant, orders_flow, frozen, django_capture_on_commit_callbacks
):
    runs.register_flow("stock", ScriptedRunner())  # noqa: F405
    make = make_connection  # noqa: F405
    due = make(merchant, shop_id="1-m!i!s-045-0001", next_sync_at=T0 - timedelta(minutes=1))
    never_scheduled = make(other_merchant, shop_id="1-m!i!s-045-0002", next_sync_at=None, sync_interval_minutes=15)
    later = make(merchant, shop_id="1-m!i!s-045-0003", next_sync_at=T0 + timedelta(seconds=1))
    paused = make(merchant, shop_id="1-m!i!s-045-0004", next_sync_at=T0, paused_at=T0, paused_reason="refused")
    disabled = make(merchant, shop_id="1-m!i!s-045-0005", next_sync_at=T0, status="disabled")

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_due_connections.delay().get() == 2

    assert runs_by_connection() == sorted(
        (c.pk, flow, "schedule", "succeeded") for c in (due, never_scheduled) for flow in ("orders", "stock")
    )
    assert next_sync(due) == T0 + timedelta(minutes=5)
    assert next_sync(never_scheduled) == T0 + timedelta(minutes=15)
    assert [next_sync(c) for c in (later, paused, disabled)] == [T0 + timedelta(seconds=1), T0, T0]


def test_a_flow_can_limit_which_connections_the_schedule_runs_it_for(
    merchant, orders_flow, frozen, django_capture_on_commit_callbacks
):
    runs.register_flow("stock", ScriptedRunner(), scheduled_for=lambda connection: connection.market == "SE")  # noqa: F405
    dk = make_connection(merchant, shop_id="1-m!i!s-045-0001", next_sync_at=T0)  # noqa: F405
    se = make_connection(merchant, shop_id="1-m!i!s-046-0002", market="SE", next_sync_at=T0)  # noqa: F405
    with django_capture_on_commit_callbacks(execute=True):
        assert sorted(runs.sync_dispatch_due()) == sorted([dk.pk, se.pk])
    assert [(c, f) for c, f, _, _ in runs_by_connection()] == sorted([(dk.pk, "orders"), (se.pk, "orders"), (se.pk, "stock")])


def running(connection, flow, *, beat_at):
    with scopes_disabled():
        return SyncRun.objects.create(
            merchant=connection.merchant, connection=connection, flow=flow, trigger="button", status="running",
            started_at=beat_at, heartbeat_at=beat_at,
        )


def test_a_flow_with_a_live_run_is_left_to_it_and_the_other_flows_run(
    merchant, orders_flow, frozen, django_capture_on_commit_callbacks
):
    stock = ScriptedRunner()  # noqa: F405
    runs.register_flow("stock", stock)
    connection = make_connection(merchant, next_sync_at=T0)  # noqa: F405
    live = running(connection, "orders", beat_at=T0 - timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert runs.sync_dispatch_due() == [connection.pk]
    assert runs_by_connection() == [(connection.pk, "orders", "button", "running")]  # the dispatcher writes no run
    assert len(queued) == 1  # one task for the connection, not one per flow
    assert run_connection_tick.delay(connection.pk).get() == "stock:succeeded"
    assert orders_flow.calls == [] and len(stock.calls) == 1
    assert runs_by_connection() == sorted([(connection.pk, "orders", "button", "running"), (connection.pk, "stock", "schedule", "succeeded")])
    live.refresh_from_db()
    assert live.status == "running"


def test_a_tick_fails_a_lost_run_and_runs_its_flow_again(merchant, orders_flow, frozen):
    connection = make_connection(merchant, next_sync_at=T0)  # noqa: F405
    lost = running(connection, "orders", beat_at=T0 - timedelta(minutes=2))
    assert run_connection_tick.delay(connection.pk).get() == "orders:succeeded"
    lost.refresh_from_db()
    assert (lost.status, lost.error_summary) == ("failed", runs.LOST_WORKER)
    assert len(orders_flow.calls) == 1 and orders_flow.calls[0] != lost.pk
    assert next_sync(connection) == T0 + timedelta(minutes=5)


def test_a_flow_whose_lock_another_worker_holds_is_skipped_without_a_run(merchant, orders_flow, frozen):
    connection = make_connection(merchant, next_sync_at=T0)  # noqa: F405
    with locks().hold(f"sync:{connection.pk}:orders", ttl=30) as ours:
        assert ours
        assert run_connection_tick.delay(connection.pk).get() == "orders:busy"
    assert orders_flow.calls == [] and runs_by_connection() == []


def test_a_tick_ends_each_run_with_its_verdict_and_counters(merchant, orders_flow, frozen):
    stock = ScriptedRunner(bumps=[{"seen": 3, "failed": 1}])  # noqa: F405
    runs.register_flow("stock", stock)
    orders_flow.error = RuntimeError("boom")
    connection = make_connection(merchant, next_sync_at=T0, last_synced={"orders": "2026-03-01T09:00:00+00:00"})  # noqa: F405
    assert run_connection_tick.delay(connection.pk).get() == "orders:failed stock:partial"
    with scopes_disabled():
        stock_run = SyncRun.objects.get(flow="stock")
        orders_run = SyncRun.objects.get(flow="orders")
        last_synced = MiintoConnection.objects.get(pk=connection.pk).last_synced
    assert (stock_run.seen, stock_run.failed, stock_run.finished_at) == (3, 1, T0)
    assert orders_run.error_summary == "RuntimeError: boom"
    # A failed flow keeps its last successful sync time; the partial one moves on.
    assert last_synced == {"orders": "2026-03-01T09:00:00+00:00", "stock": T0.isoformat()}


def test_once_a_flow_pauses_the_connection_the_ticks_other_flows_do_not_run(merchant, orders_flow, frozen):
    from koongo.http import AuthError

    stock = ScriptedRunner()  # noqa: F405
    runs.register_flow("stock", stock)
    orders_flow.error = AuthError("refused", status=401)
    connection = make_connection(merchant, next_sync_at=T0)  # noqa: F405
    assert run_connection_tick.delay(connection.pk).get() == "orders:failed stock:failed"
    assert stock.calls == []
    with scopes_disabled():
        stock_run = SyncRun.objects.get(flow="stock")
        connection.refresh_from_db()
    assert connection.paused_at == T0
    assert stock_run.error_summary == f"Not run: {connection.paused_reason}"


def test_a_disabled_or_paused_connection_gets_no_tick(merchant, orders_flow, frozen):
    paused = make_connection(merchant, shop_id="1-m!i!s-045-0004", paused_at=T0, paused_reason="refused")  # noqa: F405
    disabled = make_connection(merchant, shop_id="1-m!i!s-045-0005", status="disabled")  # noqa: F405
    assert [run_connection_tick.delay(c.pk).get() for c in (paused, disabled)] == ["inactive", "inactive"]
    assert orders_flow.calls == []


def test_dispatch_works_through_every_batch(merchant, orders_flow, frozen, django_capture_on_commit_callbacks):
    connections = [make_connection(merchant, shop_id=f"1-m!i!s-045-{i:04d}", next_sync_at=T0) for i in range(5)]  # noqa: F405
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.sync_dispatch_due(batch_size=2) == [c.pk for c in connections]
    assert len(runs_by_connection()) == 5


@pytest.mark.postgres
def test_two_dispatchers_skip_each_others_connections(committed_db, merchant, orders_flow, monkeypatch):
    for i in range(4):
        make_connection(merchant, shop_id=f"1-m!i!s-045-{i:04d}", next_sync_at=datetime(2026, 1, 1, tzinfo=UTC))  # noqa: F405
    both_claimed = threading.Barrier(2, timeout=10)
    real_claim = runs._claim_due_connections

    def claim_then_wait(now, batch_size):
        claimed = real_claim(now, batch_size)
        if claimed:
            both_claimed.wait()  # hold the row locks until the other dispatcher has claimed too
        return claimed

    monkeypatch.setattr(runs, "_claim_due_connections", claim_then_wait)
    monkeypatch.setattr(runs, "_enqueue_run", lambda run_id: None)
    claimed = run_in_threads(lambda _: runs.sync_dispatch_due(batch_size=2, max_batches=1), 2)  # noqa: F405
    assert all(isinstance(ids, list) and len(ids) == 2 for ids in claimed), claimed
    assert not set(claimed[0]) & set(claimed[1])
    assert len(runs_by_connection()) == 4
