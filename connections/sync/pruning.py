"""Pruning idle sync runs: successful runs that changed nothing, past the retention period, become per-day counts.

Runs that failed, ended partial or made changes (accepted, declined, pushed, failed items) are kept, and so is the
latest run of every connection and flow, which the connection page shows as its health.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import RunStatus, SyncRun, SyncRunDailyCount

DEFAULT_RETENTION_DAYS = 14


def retention_days() -> int:
    return int(getattr(settings, "SYNC_RUN_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def idle_runs_before(cutoff):
    """Successful runs finished before `cutoff` that changed nothing, except each connection and flow's latest run."""
    latest = SyncRun.objects.filter(connection=OuterRef("connection"), flow=OuterRef("flow")).order_by("-created_at", "-pk").values("pk")[:1]
    return (
        SyncRun.objects.filter(status=RunStatus.SUCCEEDED, finished_at__lt=cutoff, accepted=0, declined=0, pushed=0, failed=0)
        .exclude(pk=Subquery(latest))
    )


def _count_days(rows: list[dict]) -> None:
    """Add the pruned rows to their (connection, flow, day) counts."""
    runs, seen, merchants = Counter(), Counter(), {}
    for row in rows:
        key = (row["connection_id"], row["flow"], timezone.localdate(row["created_at"]))
        runs[key] += 1
        seen[key] += row["seen"]
        merchants[key] = row["merchant_id"]
    for key, count in runs.items():
        connection_id, flow, day = key
        counted, _ = SyncRunDailyCount.objects.get_or_create(
            connection_id=connection_id, flow=flow, day=day, defaults={"merchant_id": merchants[key]}
        )
        SyncRunDailyCount.objects.filter(pk=counted.pk).update(runs=F("runs") + count, seen=F("seen") + seen[key])


def sync_runs_prune(*, days: int | None = None, batch_size: int = 2000) -> int:
    """Fold idle runs older than the retention period into per-day counts and delete them; returns how many went."""
    cutoff = timezone.now() - timedelta(days=retention_days() if days is None else days)
    pruned = 0
    # A beat sweeper across every merchant: an allowed place for scopes_disabled.
    with scopes_disabled():
        while True:
            with transaction.atomic():
                rows = list(
                    idle_runs_before(cutoff).select_for_update(skip_locked=True)
                    .values("pk", "merchant_id", "connection_id", "flow", "created_at", "seen")[:batch_size]
                )
                if not rows:
                    return pruned
                _count_days(rows)
                SyncRun.objects.filter(pk__in=[row["pk"] for row in rows]).delete()
            pruned += len(rows)
