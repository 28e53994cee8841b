"""The engine's own tasks have a queue of their own, which every worker reads beside the default one."""

from __future__ import annotations

from django.conf import settings

from koongo.celery import app


def test_every_routed_name_is_a_registered_task():
    app.loader.import_default_modules()
    assert set(settings.CELERY_TASK_ROUTES) <= set(app.tasks), set(settings.CELERY_TASK_ROUTES) - set(app.tasks)


def test_engine_tasks_go_to_sync_and_pushes_stay_on_the_default_queue():
    route = app.amqp.router.route
    assert route({}, "connections.tasks.run_connection_tick")["queue"].name == "sync"
    assert route({}, "connections.tasks.dispatch_due_connections")["queue"].name == "sync"
    assert route({}, "koongo.tasks.beat_tick")["queue"].name == "sync"
    assert route({}, "connections.tasks.outbox_execute")["queue"].name == "celery"


def test_a_worker_started_without_q_reads_both_queues():
    assert set(app.amqp.queues) == {"sync", "celery"}


def test_a_lost_run_is_replaced_well_inside_the_two_minute_budget():
    """Issue 26: a killed worker's flow starts again within 120 s; a lease plus one sweep must leave the rerun time."""
    sweep = settings.CELERY_BEAT_SCHEDULE["connections.replace_lost_runs"]["schedule"]
    assert settings.SYNC_RUN_LEASE_SECONDS + sweep <= 40
    assert settings.SYNC_RUN_LEASE_SECONDS >= 5 * settings.SYNC_RUN_HEARTBEAT_SECONDS  # one slow beat is not a death
    assert app.amqp.router.route({}, "connections.tasks.replace_lost_runs")["queue"].name == "sync"
