"""Celery tasks: send one delivery, and the beat sweeper that sends what is due (retries, and anything not queued)."""

from __future__ import annotations

from celery import shared_task

from webhooks import delivery, pruning
from webhooks.queue import DELIVER_TASK, schedule


@shared_task(name=DELIVER_TASK, ignore_result=True)
def deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


@shared_task(name="webhooks.tasks.sweep", ignore_result=True)
def sweep() -> int:
    """Queue the due deliveries; claiming is a conditional update, so a row queued twice is still sent once."""
    ids = delivery.due_ids()
    schedule(ids)
    return len(ids)


@shared_task(name="webhooks.tasks.prune", ignore_result=True)
def prune() -> int:
    return pruning.prune_deliveries()
