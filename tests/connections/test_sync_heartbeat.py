"""Run heartbeats: a live run renews its short lock lease and stamps `heartbeat_at`; a killed worker's run is judged
lost by the missed heartbeat, `sync_request` and the dispatcher replace it, and the flow runs again within 120 s."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import RunStatus, SyncRun
from connections.sync import runs
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import backend, locks
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request_orders(connection):
    with merchant_scope(connection.merchant):
        return runs.sync_request(connection=connection, flow="orders", trigger="button")


def running_run(connection, *, started_at, heartbeat_at):
    """What a worker killed mid-run leaves behind: a run still marked running, beating no more."""
    with merchant_scope(connection.merchant):
        return SyncRun.objects.create(
            merchant=connection.merchant, connection=connection, flow="orders", trigger="schedule", status="running",
            started_at=started_at, heartbeat_at=heartbeat_at,
        )


def test_the_default_lease_and_dispatch_tick_bound_the_stall_after_a_kill_to_120_seconds():
    tick = django_settings.CELERY_BEAT_SCHEDULE["connections.dispatch_due_connections"]["schedule"]
    assert django_settings.SYNC_RUN_LEASE_SECONDS + tick <= 120
    assert django_settings.SYNC_RUN_HEARTBEAT_SECONDS * 3 <= django_settings.SYNC_RUN_LEASE_SECONDS


def test_a_long_run_that_still_beats_is_left_alone_and_one_that_stopped_beating_is_replaced(
    merchant, orders_flow, django_capture_on_commit_callbacks
):
    alive_connection = make_connection(merchant, shop_id="1-m!i!s-045-4000")  # noqa: F405
    dead_connection = make_connection(merchant, shop_id="1-m!i!s-045-5000")  # noqa: F405
    with time_machine.travel(T0, tick=False):
        # An hour-long run that beat 10 s ago is alive; a run that last beat 50 s ago lost its worker.
        alive = running_run(alive_connection, started_at=T0 - timedelta(hours=1), heartbeat_at=T0 - timedelta(seconds=10))
        dead = running_run(dead_connection, started_at=T0 - timedelta(minutes=2), heartbeat_at=T0 - timedelta(seconds=50))
        with django_capture_on_commit_callbacks(execute=True):
            assert runs.sync_runs_fail_stale() == 1
    with scopes_disabled():
        by_connection = {
            connection.pk: list(SyncRun.objects.filter(connection=connection).order_by("pk").values_list("pk", "status", "trigger"))
            for connection in (alive_connection, dead_connection)
        }
        dead.refresh_from_db()
    assert by_connection[alive_connection.pk] == [(alive.pk, "running", "schedule")]
    replacement = by_connection[dead_connection.pk][1][0]
    # The dead run is failed and a new run of the same flow was queued and ran at once, not a sync interval later.
    assert by_connection[dead_connection.pk] == [(dead.pk, "failed", "schedule"), (replacement, "succeeded", "schedule")]
    assert dead.error_summary == "The worker stopped before finishing this run."
    assert orders_flow.calls == [replacement]


def test_after_a_worker_dies_mid_run_the_next_run_starts_once_its_lease_runs_out(
    connection, orders_flow, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_RUN_LEASE_SECONDS = 1
    with merchant_scope(connection.merchant):
        now = SyncRun._meta.get_field("created_at").default()
    dead = running_run(connection, started_at=now, heartbeat_at=now)
    # The dead worker's lock: taken with the run's lease and never renewed again.
    assert backend().acquire(f"sync:{connection.pk}:orders", "killed-worker", ttl=1)

    assert request_orders(connection).pk == dead.pk  # within its lease it may still be alive: no second run
    time.sleep(1.3)
    with django_capture_on_commit_callbacks(execute=True):
        fresh = request_orders(connection)
    assert fresh.pk != dead.pk
    dead.refresh_from_db()
    fresh.refresh_from_db()
    assert (dead.status, dead.error_summary) == ("failed", "The worker stopped before finishing this run.")
    assert fresh.status == RunStatus.SUCCEEDED
    assert orders_flow.calls == [fresh.pk]


@pytest.mark.postgres
def test_a_live_run_renews_its_lock_and_heartbeat_past_the_lease(committed_db, connection, orders_flow, settings):
    settings.SYNC_RUN_LEASE_SECONDS = 1
    settings.SYNC_RUN_HEARTBEAT_SECONDS = 0.2
    seen = {}

    def slow_page(ctx):
        time.sleep(1.6)  # longer than the lease: only the heartbeat keeps the run ours
        with locks().hold(f"sync:{ctx.run.connection_id}:orders", ttl=5) as rival:
            seen["rival_got_the_lock"] = rival
        with scopes_disabled():
            run = SyncRun.objects.get(pk=ctx.run.pk)
        seen["beat_after_start"] = (run.heartbeat_at - run.started_at).total_seconds()
        seen["lost"] = runs.sync_runs_fail_stale()

    orders_flow.during = slow_page
    with merchant_scope(connection.merchant):
        run = runs.sync_request(connection=connection, flow="orders", trigger="button")
    with scopes_disabled():
        run = SyncRun.objects.get(pk=run.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert seen["rival_got_the_lock"] is False
    assert seen["beat_after_start"] >= 1.0
    assert seen["lost"] == 0


@pytest.mark.postgres
def test_a_heartbeat_whose_database_connection_was_dropped_reconnects(committed_db, connection, orders_flow, settings):
    """A chaos run terminates PostgreSQL backends: the heartbeat thread's broken connection must not make every later
    beat fail, or a live run is declared lost and replaced while it still runs."""
    from django.db import connection as db

    settings.SYNC_RUN_LEASE_SECONDS = 1
    settings.SYNC_RUN_HEARTBEAT_SECONDS = 0.2
    seen = {}

    def dropped_mid_run(ctx):
        time.sleep(0.5)  # the heartbeat thread has beaten over its own connection by now
        with db.cursor() as cursor:  # every backend of this database but the run's own: the heartbeat thread's
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            seen["terminated"] = cursor.fetchone()[0]
        time.sleep(1.5)  # longer than the lease: only beats over a new connection keep the run alive
        with scopes_disabled():
            run = SyncRun.objects.get(pk=ctx.run.pk)
        seen["since_last_beat"] = (timezone.now() - run.heartbeat_at).total_seconds()
        seen["lost"] = runs.sync_runs_fail_stale()

    orders_flow.during = dropped_mid_run
    with merchant_scope(connection.merchant):
        run = runs.sync_request(connection=connection, flow="orders", trigger="button")
    with scopes_disabled():
        run = SyncRun.objects.get(pk=run.pk)
    assert seen["terminated"] >= 1
    assert seen["since_last_beat"] < 1.0 and seen["lost"] == 0
    assert run.status == RunStatus.SUCCEEDED
