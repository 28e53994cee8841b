"""Thin Celery tasks: execute one run by id, and beat's daily pass."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from koongo.accounts.tenancy import merchant_scope
from reconciliation import services
from reconciliation.models import ReconciliationRun


@shared_task(name=services.RUN_TASK)
def run_reconciliation(run_id: int) -> str:
    # A task's first load by id; the run executes in its merchant's scope.
    with scopes_disabled():
        run = ReconciliationRun.objects.select_related("merchant", "connection").filter(pk=run_id).first()
    if run is None:
        return "missing"
    with merchant_scope(run.merchant):
        return services.reconciliation_execute(run).status


@shared_task(name="reconciliation.tasks.reconcile_daily")
def reconcile_daily() -> int:
    return services.reconciliation_daily()
