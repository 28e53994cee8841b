"""Reconciliation's reads for a merchant: runs, one run (404 on another merchant's id), findings, the trend."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from reconciliation.kinds import FindingKind
from reconciliation.models import Finding, ReconciliationRun, RunStatus

TREND_RUNS = 30


def runs(merchant, connection_id: int | None = None) -> QuerySet[ReconciliationRun]:
    found = ReconciliationRun.objects.filter(merchant=merchant).select_related("connection")
    return found.filter(connection_id=connection_id) if connection_id else found


def run(merchant, pk) -> ReconciliationRun:
    """One run by its primary key; its connection is read only where a page shows it (no join for a findings page)."""
    return get_object_or_404(ReconciliationRun.objects.filter(merchant=merchant), pk=pk)


def findings(merchant, run_obj: ReconciliationRun, kind: str | None = None) -> QuerySet[Finding]:
    """The run's findings with their links loaded in the same query, so a page costs the same however many it shows."""
    found = Finding.objects.filter(merchant=merchant, run=run_obj).select_related("order", "rma", "connection")
    return found.filter(kind=kind) if kind in FindingKind.values else found


def counts(run_obj: ReconciliationRun) -> list[tuple[str, str, int]]:
    """(kind, label, count) for every kind, zeros included, from the counts the run stored when it finished."""
    return [(kind.value, kind.label, int(run_obj.counts.get(kind.value, 0))) for kind in FindingKind]


def trend(merchant, connection_id: int | None = None) -> list[list]:
    """[[period start, findings], …] of the last finished runs, oldest first, for the trend chart."""
    done = runs(merchant, connection_id).filter(status=RunStatus.DONE).order_by("-pk")[:TREND_RUNS]
    return [[f"{r.period_start:%Y-%m-%d} #{r.pk}", r.findings_total] for r in reversed(list(done))]
