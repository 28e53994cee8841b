"""The engine's sweeps and its runs have a queue each, which every worker reads beside the default one."""

from __future__ import annotations

from django.conf import settings

from koongo.celery import app


def test_every_routed_name_is_a_registered_task():
    app.loader.import_default_modules()
    assert set(settings.CELERY_TASK_ROUTES) <= set(app.tasks), set(settings.CELERY_TASK_ROUTES) - set(app.tasks)


def test_sweeps_go_to_control_runs_to_sync_and_pushes_stay_on_the_default_queue():
    route = app.amqp.router.route
    for sweep in ("connections.tasks.dispatch_due_connections", "connections.tasks.replace_lost_runs", "koongo.tasks.beat_tick",
                  "connections.tasks.outbox_sweep", "webhooks.tasks.sweep"):
        assert route({}, sweep)["queue"].name == "control", sweep
    assert route({}, "connections.tasks.run_connection_tick")["queue"].name == "sync"
    assert route({}, "connections.tasks.run_flow")["queue"].name == "sync"
    assert route({}, "connections.tasks.outbox_execute")["queue"].name == "celery"


def test_a_worker_started_without_q_reads_every_queue():
    assert set(app.amqp.queues) == {"control", "sync", "celery"}


def test_a_lost_run_is_replaced_well_inside_the_two_minute_budget():
    """Issue 26: a killed worker's flow starts again within 120 s; a lease plus one sweep must leave the rerun time."""
    sweep = settings.CELERY_BEAT_SCHEDULE["connections.replace_lost_runs"]["schedule"]
    assert settings.SYNC_RUN_LEASE_SECONDS + sweep <= 40
    assert settings.SYNC_RUN_LEASE_SECONDS >= 5 * settings.SYNC_RUN_HEARTBEAT_SECONDS  # one slow beat is not a death
    assert app.amqp.router.route({}, "connections.tasks.replace_lost_runs")["queue"].name == "control"
