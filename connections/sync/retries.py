"""A failed run is tried once more a few seconds later, instead of a whole sync interval later.

Most failures are a remote's bad minute (a 5xx streak, a timeout) that outlasted the client's own retries. Waiting the
interval out stalls the merchant's orders for that long; retrying at once would hammer a remote that is down. One retry
after `SYNC_RUN_RETRY_SECONDS` splits the difference: a retry that fails too waits for the schedule.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import RunStatus, SyncRun, Trigger
from connections.sync.runs import LOST_WORKER, SyncRefused, sync_request
from koongo.accounts.tenancy import merchant_scope

# Failures older than this are left to the schedule (e.g. after beat was down): their moment has passed.
RETRY_WINDOW = timedelta(minutes=10)


def retry_due(now) -> list[SyncRun]:
    """Recent failed runs that are not retries themselves, not lost (those are replaced), and are still their flow's latest run."""
    later = SyncRun.objects.filter(connection_id=OuterRef("connection_id"), flow=OuterRef("flow"), pk__gt=OuterRef("pk"))
    failed = (
        SyncRun.objects.filter(
            status=RunStatus.FAILED,
            finished_at__gte=now - RETRY_WINDOW,
            finished_at__lte=now - timedelta(seconds=settings.SYNC_RUN_RETRY_SECONDS),
        )
        .exclude(trigger=Trigger.RETRY)
        .exclude(error_summary=LOST_WORKER)
    )
    return list(failed.filter(~Exists(later)).select_related("connection__merchant"))


def sync_runs_retry_failed() -> int:
    """Queue one retry of each run due for it; a disabled or paused connection (refused credentials) is left alone."""
    # A beat sweep across merchants: an allowed place for scopes_disabled; each retry is requested in its merchant's scope.
    with scopes_disabled():
        due = retry_due(timezone.now())
    retried = 0
    for run in due:
        with merchant_scope(run.connection.merchant):
            try:
                sync_request(connection=run.connection, flow=run.flow, trigger=Trigger.RETRY)
            except SyncRefused:
                continue
        retried += 1
    return retried
