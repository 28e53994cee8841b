"""Queueing deliveries for the worker after the transaction that wrote them commits."""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.deliver"


def schedule(delivery_ids: list[int]) -> None:
    """Send these deliveries as soon as the transaction that wrote them commits (the sweeper catches any miss)."""
    if delivery_ids:
        transaction.on_commit(partial(_enqueue, list(delivery_ids)))


def _enqueue(delivery_ids: list[int]) -> None:
    for pk in delivery_ids:
        try:
            current_app.signature(DELIVER_TASK, args=(pk,)).delay()
        except Exception:  # a broker hiccup must not fail the request that emitted: the sweeper sends it later
            log.warning("webhook delivery %s not queued; the sweeper will send it", pk, exc_info=True)
