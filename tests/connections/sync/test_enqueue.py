"""The engine hands work to Celery by task name, never by importing the task module; the names stay the ones the
tasks had as `connections.tasks.*`, which the beat schedule and messages already queued in a broker carry."""

from __future__ import annotations

import pytest
from django.conf import settings

from connections.sync.enqueue import OUTBOX_EXECUTE, RUN_FLOW, enqueue
from koongo.celery import app

OLD_NAMES = {
    "connections.tasks.run_flow",
    "connections.tasks.outbox_execute",
    "connections.tasks.outbox_sweep",
    "connections.tasks.dispatch_due_connections",
    "connections.tasks.prune_activity",
}
# Registered since the move, under the same prefix: run pruning, the per-connection tick, and the cached lists' refreshes (connections/tasks.py).
NEW_NAMES = {
    "connections.tasks.prune_sync_runs",
    "connections.tasks.run_connection_tick",
    "connections.tasks.refresh_market_providers",
    "connections.tasks.refresh_identifier_attributes",
    "connections.tasks.check_stale_connections",  # the stale-connection alert (connections/staleness.py)
    "connections.tasks.replace_lost_runs",  # a killed worker's run is replaced within a lease and 15 s
}


def test_the_engine_tasks_keep_their_names_from_before_the_move():
    assert {name for name in app.tasks if name.startswith("connections.")} == OLD_NAMES | NEW_NAMES
    assert {RUN_FLOW, OUTBOX_EXECUTE} <= OLD_NAMES


def test_every_beat_entry_names_a_registered_task():
    scheduled = sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert [name for name in scheduled if name.startswith("connections.")] == [
        "connections.tasks.check_stale_connections",
        "connections.tasks.dispatch_due_connections",
        "connections.tasks.outbox_sweep",
        "connections.tasks.prune_activity",
        "connections.tasks.prune_sync_runs",
        "connections.tasks.replace_lost_runs",
    ]
    assert [name for name in scheduled if name not in app.tasks] == []


@pytest.mark.django_db
def test_enqueue_by_name_runs_the_registered_task():
    # Eager in tests: the registered task runs; a run id that does not exist is answered "missing".
    assert enqueue(RUN_FLOW, 987654321).get() == "missing"


def test_a_name_no_worker_module_registered_still_goes_to_the_broker(monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, args)))
    enqueue("connections.tasks.not_registered_here", 7, "x")
    assert sent == [("connections.tasks.not_registered_here", (7, "x"))]
