"""Backlog gauges of the sync engine, read at scrape time: outbox rows in play, overdue and paused connections, problems."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Min
from prometheus_client.core import GaugeMetricFamily

from connections.models import ConnectionStatus, MiintoConnection, OutboxState, PauseSource, Problem, ProblemState
from connections.sync.outbox import outbox_kinds

IN_PLAY = [OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED, OutboxState.DEAD]
DUE = [OutboxState.PENDING, OutboxState.FAILED]


def backlog_gauges(now):
    yield from outbox_gauges(now)
    yield overdue_connections(now)
    yield paused_connections()
    yield open_problems()


def outbox_gauges(now):
    """Rows by kind and state (done rows, the vast majority, are never counted) and the oldest due row's age."""
    rows = GaugeMetricFamily("koongo_outbox_rows", "Outbox rows still in play, by kind and state.", labels=["kind", "state"])
    oldest = GaugeMetricFamily("koongo_outbox_oldest_due_age_seconds", "Age of the oldest due outbox row, by kind.",
                               labels=["kind"])
    for label, kind in sorted(outbox_kinds().items()):
        counts = dict(kind.model.objects.filter(state__in=IN_PLAY).values_list("state").annotate(n=Count("pk")))
        for state in IN_PLAY:
            rows.add_metric([label, state], counts.get(state, 0))
        due_since = kind.model.objects.filter(state__in=DUE, next_attempt_at__lte=now).aggregate(at=Min("next_attempt_at"))["at"]
        oldest.add_metric([label], (now - due_since).total_seconds() if due_since else 0)
    yield rows
    yield oldest


def overdue_connections(now) -> GaugeMetricFamily:
    """Active, unpaused connections whose next run is more than one interval late (a pause has its own gauge)."""
    late = MiintoConnection.objects.filter(
        status=ConnectionStatus.ACTIVE, paused_at__isnull=True, next_sync_at__lt=now - timedelta(minutes=1)
    )
    overdue = sum(
        1 for next_at, minutes in late.values_list("next_sync_at", "sync_interval_minutes")
        if next_at < now - timedelta(minutes=minutes)
    )
    gauge = GaugeMetricFamily("koongo_connections_overdue", "Active connections more than one interval late for sync.")
    gauge.add_metric([], overdue)
    return gauge


def paused_connections() -> GaugeMetricFamily:
    """Paused connections by what paused them (a bounded set: the pause sources)."""
    gauge = GaugeMetricFamily("koongo_connections_paused", "Paused connections, by what paused them.", labels=["reason"])
    counts = dict(
        MiintoConnection.objects.filter(paused_at__isnull=False).values_list("paused_source").annotate(n=Count("pk")).order_by()
    )
    for source in PauseSource.values:
        gauge.add_metric([source], counts.get(source, 0))
    return gauge


def open_problems() -> GaugeMetricFamily:
    gauge = GaugeMetricFamily("koongo_problems_open", "Open problems in the errors inboxes, by kind.", labels=["kind"])
    for kind, number in Problem.objects.filter(state=ProblemState.OPEN).values_list("kind").annotate(n=Count("pk")).order_by():
        gauge.add_metric([kind], number)
    return gauge
