"""Scrape-time gauges read from the database: each app's `metrics.backlog_gauges(now)`, plus beat and workers.

Every query is an indexed count or min over the rows still in play (never over a merchant's whole history), so a
scrape costs the same few queries at a million orders as at ten.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils import timezone
from django_scopes import scopes_disabled
from prometheus_client.core import GaugeMetricFamily

from koongo.registry import app_modules

BEAT_TICK_KEY = "koongo:metrics:beat_tick"
WORKERS_KEY = "koongo:metrics:workers_answering"
PING_CACHE_SECONDS = 15


class BacklogCollector:
    """A prometheus-client collector; registered on the web's /metrics registry only, so workers don't repeat it."""

    def collect(self):
        now = timezone.now()
        # The operator's view spans merchants by design; only counts and ages leave this collector, never ids.
        with scopes_disabled():
            for _, module in app_modules("metrics"):
                yield from module.backlog_gauges(now)
        yield from liveness_gauges()

    def describe(self):
        return []  # collected at scrape time only; nothing to check at registration


def beat_ticked(at: float | None = None) -> None:
    """Beat's periodic tick, run by a worker: the newest tick time is the beat-liveness gauge."""
    cache.set(BEAT_TICK_KEY, at or time.time(), None)


def workers_answering() -> int:
    """Celery workers that answered a ping, asked at most every PING_CACHE_SECONDS."""
    answered = cache.get(WORKERS_KEY)
    if answered is None:
        from koongo.celery import app

        try:
            answered = len(app.control.ping(timeout=0.5) or [])
        except Exception:  # a broker that cannot broadcast (or is down) means no worker is known to answer
            answered = 0
        cache.set(WORKERS_KEY, answered, PING_CACHE_SECONDS)
    return answered


def liveness_gauges():
    tick = GaugeMetricFamily("koongo_beat_last_tick_timestamp_seconds", "When beat's last periodic tick ran (Unix time).")
    tick.add_metric([], cache.get(BEAT_TICK_KEY) or 0)
    yield tick
    workers = GaugeMetricFamily("koongo_celery_workers_answering", "Celery workers that answered a ping.")
    workers.add_metric([], workers_answering())
    yield workers
