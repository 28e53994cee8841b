"""A failed run is tried again a few seconds later, instead of a whole sync interval later.

Most failures are a remote's bad minute (a 5xx streak, a timeout) that outlasted the client's own retries. Waiting the
interval out stalls the merchant's orders for that long; retrying at once would hammer a remote that is down. So a failed
run is retried after `SYNC_RUN_RETRY_SECONDS`, a failed retry after twice that, up to `SYNC_RUN_RETRIES` retries in a row;
then the schedule takes over. One retry was not enough: a chaos run's Magento orders run reads ~50 salable quantities,
so at its fault rates a run fails about one time in three, and a replacement and its one retry both failing left that
connection's orders waiting for the next interval (a 200 s stall after a worker was killed).
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
    """Recent failed runs that are their flow's latest, not lost (those are replaced), with retries left and whose delay
    (doubling with each retry in a row) has passed."""
    later = SyncRun.objects.filter(connection_id=OuterRef("connection_id"), flow=OuterRef("flow"), pk__gt=OuterRef("pk"))
    failed = (
        SyncRun.objects.filter(
            status=RunStatus.FAILED,
            finished_at__gte=now - RETRY_WINDOW,
            finished_at__lte=now - timedelta(seconds=settings.SYNC_RUN_RETRY_SECONDS),
        )
        .exclude(error_summary=LOST_WORKER)
        .filter(~Exists(later))
        .select_related("connection__merchant")
    )
    candidates = list(failed)
    chains = retries_in_a_row([run for run in candidates if run.trigger == Trigger.RETRY], now)
    due = []
    for run in candidates:
        done = chains.get(run.pk, 0)
        delay = timedelta(seconds=settings.SYNC_RUN_RETRY_SECONDS * 2**done)
        if done < settings.SYNC_RUN_RETRIES and run.finished_at <= now - delay:
            due.append(run)
    return due


def retries_in_a_row(retries: list[SyncRun], now) -> dict[int, int]:
    """For each failed retry, how many retries in a row its flow has made up to and including it (one query)."""
    if not retries:
        return {}
    recent = (
        SyncRun.objects.filter(
            connection_id__in={run.connection_id for run in retries},
            flow__in={run.flow for run in retries},
            created_at__gte=now - 2 * RETRY_WINDOW,
        )
        .order_by("-pk")
        .values_list("pk", "connection_id", "flow", "trigger")
    )
    history: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for pk, connection_id, flow, trigger in recent:
        history.setdefault((connection_id, flow), []).append((pk, trigger))
    chains = {}
    for run in retries:
        count = 0
        for pk, trigger in history.get((run.connection_id, run.flow), []):
            if pk > run.pk:
                continue
            if trigger != Trigger.RETRY:
                break
            count += 1
        chains[run.pk] = count
    return chains


def sync_runs_retry_failed() -> int:
    """Queue a retry of each run due for one; a disabled or paused connection (refused credentials) is left alone."""
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
