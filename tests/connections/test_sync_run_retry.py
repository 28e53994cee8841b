"""A failed run is tried again at the next sweep 10 s later, not a sync interval later; a failed retry after twice the
delay, up to SYNC_RUN_RETRIES retries in a row, then the schedule; a flow that has run since, a paused connection or a
lost run (replaced on its own) gets no retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django_scopes import scopes_disabled

from connections.models import MiintoConnection, RunStatus, SyncRun
from connections.sync import runs
from connections.sync.tasks import replace_lost_runs
from koongo.accounts.tenancy import merchant_scope
from koongo.http import TransientError
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def finished_run(connection, *, seconds_ago: float, status="failed", trigger="schedule", error="TransientError: 503"):
    with merchant_scope(connection.merchant):
        return SyncRun.objects.create(
            merchant=connection.merchant, connection=connection, flow="orders", trigger=trigger, status=status,
            created_at=T0 - timedelta(seconds=seconds_ago + 5), started_at=T0 - timedelta(seconds=seconds_ago + 5),
            finished_at=T0 - timedelta(seconds=seconds_ago), error_summary=error,
        )  # fmt: skip


def timeline(connection) -> list[tuple[str, str]]:
    with scopes_disabled():
        return list(SyncRun.objects.filter(connection=connection).order_by("pk").values_list("trigger", "status"))


def sweep(capture) -> int:
    with time_machine.travel(T0, tick=False), capture(execute=True):
        return replace_lost_runs()


def test_a_run_that_failed_is_tried_once_more_at_the_next_sweep(connection, orders_flow, django_capture_on_commit_callbacks):
    finished_run(connection, seconds_ago=16)

    assert sweep(django_capture_on_commit_callbacks) == 1
    assert timeline(connection) == [("schedule", "failed"), ("retry", "succeeded")]
    assert sweep(django_capture_on_commit_callbacks) == 0  # the flow has run since: nothing more to retry


def test_a_failed_retry_is_retried_after_twice_the_delay_then_the_schedule_takes_over(
    connection, orders_flow, django_capture_on_commit_callbacks, settings
):
    assert settings.SYNC_RUN_RETRY_SECONDS == 10 and settings.SYNC_RUN_RETRIES == 2
    finished_run(connection, seconds_ago=60)
    orders_flow.error = TransientError("Miinto answered 503")

    def sweep_at(seconds: float) -> int:
        with time_machine.travel(T0 + timedelta(seconds=seconds), tick=False), django_capture_on_commit_callbacks(execute=True):
            return replace_lost_runs()

    assert sweep_at(0) == 1  # the first retry fails at T0
    assert sweep_at(15) == 0  # a failed retry waits 20 s, not 10
    assert sweep_at(20) == 1  # the second retry fails at T0 + 20 s
    assert sweep_at(200) == 0  # two retries in a row: the schedule takes over
    assert timeline(connection) == [("schedule", "failed"), ("retry", "failed"), ("retry", "failed")]
    assert len(orders_flow.calls) == 2


def test_retries_are_counted_from_the_flows_last_run_that_was_not_one(connection, orders_flow, django_capture_on_commit_callbacks):
    finished_run(connection, seconds_ago=300, trigger="retry")
    finished_run(connection, seconds_ago=200, trigger="retry")
    finished_run(connection, seconds_ago=100)  # a scheduled run failed since: its retries start from none

    assert sweep(django_capture_on_commit_callbacks) == 1
    assert timeline(connection)[-1] == ("retry", "succeeded")


def test_a_failure_is_retried_only_after_the_delay_and_within_the_window(
    merchant, orders_flow, django_capture_on_commit_callbacks
):
    just_now = make_connection(merchant, shop_id="1-m!i!s-045-3001")  # noqa: F405
    long_ago = make_connection(merchant, shop_id="1-m!i!s-045-3002")  # noqa: F405
    finished_run(just_now, seconds_ago=5)
    finished_run(long_ago, seconds_ago=11 * 60)

    assert sweep(django_capture_on_commit_callbacks) == 0
    assert orders_flow.calls == []


def test_successes_lost_runs_and_paused_connections_get_no_retry(merchant, orders_flow, django_capture_on_commit_callbacks):
    succeeded, lost, paused = (make_connection(merchant, shop_id=f"1-m!i!s-045-400{i}") for i in range(3))  # noqa: F405
    finished_run(succeeded, seconds_ago=20, status="succeeded", error="")
    finished_run(lost, seconds_ago=20, error=runs.LOST_WORKER)  # the lost-run sweep already queued its replacement
    finished_run(paused, seconds_ago=20, error="Miinto rejected the credentials")
    with scopes_disabled():
        MiintoConnection.objects.filter(pk=paused.pk).update(paused_at=T0, paused_reason="Miinto rejected the credentials")

    assert sweep(django_capture_on_commit_callbacks) == 0
    assert orders_flow.calls == []


def test_a_flow_that_ran_again_since_its_failure_is_not_retried(connection, orders_flow, django_capture_on_commit_callbacks):
    finished_run(connection, seconds_ago=40)
    finished_run(connection, seconds_ago=20, status=RunStatus.SUCCEEDED, error="")

    assert sweep(django_capture_on_commit_callbacks) == 0
