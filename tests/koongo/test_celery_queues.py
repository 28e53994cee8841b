"""The engine's sweeps, its requested runs and its ticks have a queue each, which every worker reads beside the default one."""

from __future__ import annotations

from django.conf import settings

from bench.chaos import Redis
from connections.sync.enqueue import RUN_FLOW, RUN_TICK
from koongo.celery import app


def test_every_routed_name_is_a_registered_task():
    app.loader.import_default_modules()
    assert set(settings.CELERY_TASK_ROUTES) <= set(app.tasks), set(settings.CELERY_TASK_ROUTES) - set(app.tasks)


def test_sweeps_go_to_control_requested_runs_to_runs_ticks_to_sync_and_pushes_stay_on_the_default_queue():
    route = app.amqp.router.route
    for sweep in ("connections.tasks.dispatch_due_connections", "connections.tasks.replace_lost_runs", "koongo.tasks.beat_tick",
                  "connections.tasks.outbox_sweep", "webhooks.tasks.sweep"):
        assert route({}, sweep)["queue"].name == "control", sweep
    assert route({}, "connections.tasks.run_connection_tick")["queue"].name == "sync"
    # A lost run's replacement and a failed run's retry never wait behind the scheduled ticks.
    assert route({}, "connections.tasks.run_flow")["queue"].name == "runs"
    assert route({}, "connections.tasks.outbox_execute")["queue"].name == "celery"


def test_a_worker_started_without_q_reads_every_queue():
    assert set(app.amqp.queues) == {"control", "runs", "sync", "celery"}


def test_a_lost_run_is_replaced_well_inside_the_two_minute_budget():
    """Issue 26: a killed worker's flow starts again within 120 s; a lease plus one sweep must leave the rerun time."""
    sweep = settings.CELERY_BEAT_SCHEDULE["connections.replace_lost_runs"]["schedule"]
    assert settings.SYNC_RUN_LEASE_SECONDS + sweep <= 40
    assert settings.SYNC_RUN_LEASE_SECONDS >= 5 * settings.SYNC_RUN_HEARTBEAT_SECONDS  # one slow beat is not a death
    assert app.amqp.router.route({}, "connections.tasks.replace_lost_runs")["queue"].name == "control"


def test_a_requested_run_takes_the_next_free_worker_process_before_queued_ticks(tmp_path):
    """On a real Redis broker, a worker reading the queues as Celery's consumer does (kombu's round robin, one message
    at a time) takes a replacement run queued after three ticks first, not after them (stop 37's seed 14 waited 55 s)."""
    from kombu import Connection, Consumer

    redis = Redis(str(tmp_path))
    redis.start()
    try:
        with Connection(redis.url) as connection:
            producer = app.amqp.Producer(connection)
            for name, args in [(RUN_TICK, [1]), (RUN_TICK, [2]), (RUN_TICK, [3]), (RUN_FLOW, [9])]:
                queue = app.amqp.router.route({}, name)["queue"]
                producer.publish({"task": name, "args": args}, exchange=queue.exchange, routing_key=queue.routing_key, declare=[queue])
            taken = []

            def take(body, message):
                taken.append(body["task"])
                message.ack()

            with Consumer(connection, queues=list(app.amqp.queues.values()), callbacks=[take], prefetch_count=1):
                while len(taken) < 4:
                    connection.drain_events(timeout=5)
        assert taken[0] == RUN_FLOW, taken
    finally:
        redis.kill()
