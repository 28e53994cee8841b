"""Hand work to Celery by task name, so the engine never imports the task module that imports it."""

from __future__ import annotations

from celery import current_app
from celery.result import AsyncResult

# The registered names; tasks.py declares the same strings. They are the names the tasks had before they
# moved into connections/sync/, so messages already queued in a deployed broker still resolve.
RUN_FLOW = "connections.tasks.run_flow"
RUN_TICK = "connections.tasks.run_connection_tick"  # every due flow of one connection, in one task
OUTBOX_EXECUTE = "connections.tasks.outbox_execute"
REFRESH_PROVIDERS = "connections.tasks.refresh_market_providers"
REFRESH_ATTRIBUTES = "connections.tasks.refresh_identifier_attributes"


# The queue of the outbox kinds that write to Miinto (see CELERY_TASK_QUEUES): quick, and never behind store pushes.
MIINTO_QUEUE = "miinto"


def enqueue(task_name: str, *args, queue: str | None = None) -> AsyncResult:
    """Queue one call (on `queue`, else the task's route); a signature by name uses the registered task (eager in
    tests) and the broker otherwise."""
    return current_app.signature(task_name, args=args).apply_async(**({"queue": queue} if queue else {}))


def queued(queue: str) -> int | None:
    """How many messages wait in a broker queue; None when the broker cannot say."""
    try:
        with current_app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # noqa: BLE001 - a broker that cannot count (or is down): callers fall back to their plain rule
        return None
