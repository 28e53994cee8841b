"""Reads for the sync machinery: runs, activity and problems of one merchant, with their filters; 404 on a foreign id."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from connections.models import ActivityEntry, ConnectionStatus, MiintoConnection, Problem, ProblemState, SyncRun
from koongo.counts import bounded_count


def sync_connection_get(merchant, pk: int) -> MiintoConnection:
    return get_object_or_404(MiintoConnection.objects.filter(merchant=merchant), pk=pk)


def sync_connections_for(merchant) -> QuerySet[MiintoConnection]:
    return MiintoConnection.objects.filter(merchant=merchant).only("pk", "shop_name", "shop_id", "market")


def sync_runs_for(merchant, *, connection_id: int | None = None, flow: str = "", status: str = "") -> QuerySet[SyncRun]:
    runs = SyncRun.objects.filter(merchant=merchant).select_related("connection")
    if connection_id:
        runs = runs.filter(connection_id=connection_id)
    if flow:
        runs = runs.filter(flow=flow)
    if status:
        runs = runs.filter(status=status)
    return runs


def sync_run_get(merchant, pk: int) -> SyncRun:
    return get_object_or_404(sync_runs_for(merchant), pk=pk)


def activity_for(
    merchant, *, connection_id: int | None = None, subject_type: str = "", subject_id: str = "", run_id: int | None = None
) -> QuerySet[ActivityEntry]:
    entries = ActivityEntry.objects.filter(merchant=merchant)
    if connection_id:
        entries = entries.filter(connection_id=connection_id)
    if subject_type:
        entries = entries.filter(subject_type=subject_type)
    if subject_id:
        entries = entries.filter(subject_id=subject_id)
    if run_id:
        entries = entries.filter(run_id=run_id)
    return entries


def problems_for(merchant, *, state: str = "", kind: str = "", connection_id: int | None = None) -> QuerySet[Problem]:
    problems = Problem.objects.filter(merchant=merchant).select_related("connection", "store_connection")
    if state:
        problems = problems.filter(state=state)
    if kind:
        problems = problems.filter(kind=kind)
    if connection_id:
        problems = problems.filter(connection_id=connection_id)
    return problems


def problem_get(merchant, pk: int) -> Problem:
    return get_object_or_404(Problem.objects.filter(merchant=merchant), pk=pk)


def open_problem_counts(merchant) -> dict[str, int]:
    """Open problems per kind, for the inbox's retry-all buttons."""
    rows = (
        Problem.objects.filter(merchant=merchant, state=ProblemState.OPEN).values("kind").annotate(n=Count("pk")).order_by("kind")
    )
    return {row["kind"]: row["n"] for row in rows}


def sync_overview(merchant) -> dict[str, int]:
    """The overview panel's figures: open problems and active connections."""
    return {
        "open_problems": bounded_count(Problem.objects.filter(merchant=merchant, state=ProblemState.OPEN)),
        "active_connections": MiintoConnection.objects.filter(merchant=merchant, status=ConnectionStatus.ACTIVE).count(),
    }
