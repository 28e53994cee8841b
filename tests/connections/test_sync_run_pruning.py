"""Pruning sync runs: idle successful runs past the retention period become per-day counts; the rest are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_scopes import scopes_disabled

from connections.models import SyncRun, SyncRunDailyCount
from connections.sync.tasks import prune_sync_runs
from koongo.accounts.tenancy import merchant_scope
from tests.connections.sync.support import *  # noqa: F403

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def _run(connection, *, days_ago: float, flow="orders", status="succeeded", **counters) -> SyncRun:
    at = NOW - timedelta(days=days_ago)
    with merchant_scope(connection.merchant):
        return SyncRun.objects.create(
            merchant=connection.merchant, connection=connection, flow=flow, trigger="schedule", status=status,
            created_at=at, started_at=at, finished_at=at + timedelta(seconds=3), **counters,
        )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_idle_successful_runs_past_retention_become_daily_counts_and_the_rest_stay(connection, other_connection, frozen, settings):
    settings.SYNC_RUN_RETENTION_DAYS = 14
    idle_a = _run(connection, days_ago=20, seen=3)
    idle_b = _run(connection, days_ago=20.1, seen=2)
    idle_c = _run(connection, days_ago=16)
    kept = {
        "failed": _run(connection, days_ago=20, status="failed"),
        "partial": _run(connection, days_ago=20, status="partial", failed=1),
        "accepted": _run(connection, days_ago=20, accepted=1),
        "declined": _run(connection, days_ago=20, declined=2),
        "pushed": _run(connection, days_ago=20, flow="stock", pushed=5),
        "recent": _run(connection, days_ago=13),
        "latest_of_its_flow": _run(other_connection, days_ago=30),  # the page's last-run health needs it
    }
    assert prune_sync_runs.delay().get() == 3
    with scopes_disabled():
        remaining = set(SyncRun.objects.values_list("pk", flat=True))
        counts = sorted(SyncRunDailyCount.objects.values_list("connection_id", "flow", "day", "runs", "seen"))
    assert remaining == {run.pk for run in kept.values()}
    assert not remaining & {idle_a.pk, idle_b.pk, idle_c.pk}
    day_20 = (NOW - timedelta(days=20)).date()
    day_16 = (NOW - timedelta(days=16)).date()
    assert counts == [(connection.pk, "orders", day_20, 2, 5), (connection.pk, "orders", day_16, 1, 0)]


def test_a_second_prune_adds_to_the_days_counts(connection, frozen):
    _run(connection, days_ago=20)
    _run(connection, days_ago=1)
    assert prune_sync_runs.delay().get() == 1
    _run(connection, days_ago=20)
    assert prune_sync_runs.delay().get() == 1
    with scopes_disabled():
        assert list(SyncRunDailyCount.objects.values_list("runs", flat=True)) == [2]
        assert SyncRun.objects.count() == 1


def test_the_prune_runs_daily_from_beat(settings):
    assert settings.CELERY_BEAT_SCHEDULE["connections.prune_sync_runs"] == {
        "task": "connections.tasks.prune_sync_runs", "schedule": 24 * 3600.0,
    }
