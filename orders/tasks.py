"""Celery tasks of the orders app: a page's decision pushes run together, with one Miinto client; so do store pushes."""

from __future__ import annotations

from celery import shared_task

from orders.decision_batches import DECISION_BATCH, decision_batch_run
from orders.store_batches import STORE_BATCH, store_batch_run


@shared_task(name=DECISION_BATCH)
def decision_batch(pks: list[int]) -> dict:
    return decision_batch_run(pks)


@shared_task(name=STORE_BATCH)
def store_batch(pks: list[int]) -> dict:
    return store_batch_run(pks)
