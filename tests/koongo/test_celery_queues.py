"""The engine's sweeps, its requested runs, its ticks and the writes to Miinto have a queue each, which every worker
reads beside the default one."""

from __future__ import annotations

import pytest
from django.conf import settings

from bench.chaos import Redis
from connections.sync import outbox
from connections.sync.enqueue import OUTBOX_EXECUTE, RUN_FLOW, RUN_TICK
from koongo.celery import app
from orders.decision_batches import DECISION_BATCH


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
    assert route({}, "connections.tasks.outbox_execute")["queue"].name == "celery"  # a Miinto kind names its queue
    assert route({}, DECISION_BATCH)["queue"].name == "miinto"


def test_a_worker_started_without_q_reads_every_queue():
    assert set(app.amqp.queues) == {"control", "runs", "sync", "miinto", "celery"}


def test_a_lost_run_is_replaced_well_inside_the_two_minute_budget():
    """Issue 26: a killed worker's flow starts again within 120 s; a lease plus one sweep must leave the rerun time."""
    sweep = settings.CELERY_BEAT_SCHEDULE["connections.replace_lost_runs"]["schedule"]
    assert settings.SYNC_RUN_LEASE_SECONDS + sweep <= 40
    assert settings.SYNC_RUN_LEASE_SECONDS >= 5 * settings.SYNC_RUN_HEARTBEAT_SECONDS  # one slow beat is not a death
    assert app.amqp.router.route({}, "connections.tasks.replace_lost_runs")["queue"].name == "control"


def queue_of(name: str, args: list):
    """The queue a call lands on: its outbox kind's queue (`enqueue(..., queue=)`), else the task's route."""
    kind_queue = outbox.outbox_kind(args[0]).queue if name == OUTBOX_EXECUTE else None
    return app.amqp.queues[kind_queue] if kind_queue else app.amqp.router.route({}, name)["queue"]


@pytest.mark.parametrize("backlog, urgent", [
    # A lost run's replacement behind the scheduled ticks (stop 37's seed 14 waited 55 s).
    ([(RUN_TICK, [1]), (RUN_TICK, [2]), (RUN_TICK, [3])], (RUN_FLOW, [9])),
    # Decisions for Miinto behind store pushes (stop 38's runs: 470 decisions waited over five minutes).
    ([(OUTBOX_EXECUTE, ["orders.storepush", n]) for n in (1, 2, 3)], (OUTBOX_EXECUTE, ["orders.decisionpush", 9])),
    ([(OUTBOX_EXECUTE, ["rma.refundpush", n]) for n in (1, 2, 3)], (DECISION_BATCH, [[9, 10]])),
])
def test_urgent_work_takes_the_next_free_worker_process_before_the_backlog(tmp_path, backlog, urgent):
    """On a real Redis broker, a worker reading the queues as Celery's consumer does (kombu's round robin, one message
    at a time) takes the urgent call, queued after a backlog of another kind, first."""
    from kombu import Connection, Consumer

    redis = Redis(str(tmp_path))
    redis.start()
    try:
        with Connection(redis.url) as connection:
            producer = app.amqp.Producer(connection)
            for name, args in [*backlog, urgent]:
                queue = queue_of(name, args)
                producer.publish({"task": name, "args": args}, exchange=queue.exchange, routing_key=queue.routing_key, declare=[queue])
            taken = []

            def take(body, message):
                taken.append((body["task"], body["args"]))
                message.ack()

            with Consumer(connection, queues=list(app.amqp.queues.values()), callbacks=[take], prefetch_count=1):
                while len(taken) < len(backlog) + 1:
                    connection.drain_events(timeout=5)
        assert taken[0] == (urgent[0], urgent[1]), taken
    finally:
        redis.kill()


def test_outbox_rows_that_write_to_miinto_are_queued_apart_from_those_that_write_to_stores(monkeypatch):
    sent = {}
    monkeypatch.setattr(outbox, "enqueue", lambda name, label, pk, queue=None: sent.update({label: queue}))
    for label in outbox.outbox_kinds():
        outbox._enqueue(label, 1)
    assert sent == {
        "orders.decisionpush": "miinto", "orders.shipmentpush": "miinto", "rma.rmadecisionpush": "miinto", "rma.rmarequestpush": "miinto",
        "orders.storepush": None, "orders.labelnotepush": None, "rma.refundpush": None,
    }
