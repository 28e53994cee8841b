"""Backlog gauge of the orders domain, read at scrape time: how long the oldest undecided position has waited."""

from __future__ import annotations

from django.db.models import Min
from prometheus_client.core import GaugeMetricFamily

from orders.models import Position, PositionStatus


def backlog_gauges(now):
    since = Position.objects.filter(status=PositionStatus.PENDING).aggregate(at=Min("transfer__first_seen_at"))["at"]
    gauge = GaugeMetricFamily("koongo_oldest_pending_position_age_seconds", "Age of the oldest undecided position.")
    gauge.add_metric([], (now - since).total_seconds() if since else 0)
    yield gauge
