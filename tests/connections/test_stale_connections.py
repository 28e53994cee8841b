"""The stale-connection alert: flagged after 3× the interval without a successful run (or refused Miinto credentials),
e-mail to the owners once with a reminder after 24 h, a banner, `stale_since` in the API and a `connection.stale` event."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from connections import services
from connections.models import MiintoConnection, PauseSource
from connections.staleness import stale_check
from connections.tasks import check_stale_connections
from tests.i18n.wording import in_language
from webhooks import services as webhook_services
from webhooks.event_types import CONNECTION_PAUSED, CONNECTION_RESUMED, CONNECTION_STALE, PROBLEM_CLOSED, PROBLEM_OPENED
from webhooks.models import WebhookDelivery


@pytest.fixture
def hooked(connection):
    """Merchant A has an endpoint for the connection events (deliveries stay in the table: no commit in a test)."""
    types = [CONNECTION_STALE, CONNECTION_PAUSED, CONNECTION_RESUMED, PROBLEM_OPENED, PROBLEM_CLOSED]
    webhook_services.endpoint_create(merchant=connection.merchant, url="http://127.0.0.1:9/hooks", event_types=types)
    return connection


@pytest.fixture
def check(django_capture_on_commit_callbacks):
    """Run the check as beat does, with its on-commit e-mails sent."""

    def run(task=stale_check):
        with django_capture_on_commit_callbacks(execute=True):
            return task()

    return run


def _synced(connection, minutes_ago):
    when = timezone.now() - timedelta(minutes=minutes_ago)
    MiintoConnection.objects.filter(pk=connection.pk).update(last_synced={"orders": when.isoformat(), "stock": (when - timedelta(hours=1)).isoformat()})
    return when


def _fresh(connection):
    return MiintoConnection.objects.get(pk=connection.pk)


def _events(event_type):
    with scopes_disabled():
        return [d.payload["data"] for d in WebhookDelivery.objects.filter(event_type=event_type).order_by("pk")]


def test_within_three_intervals_a_connection_is_not_stale(check, hooked, owner):
    _synced(hooked, minutes_ago=3 * hooked.sync_interval_minutes - 1)
    assert check()["flagged"] == 0 and _fresh(hooked).stale_since is None and mail.outbox == []


def test_a_connection_that_stopped_syncing_is_flagged_once_and_reminded_after_a_day(check, hooked, owner, owner_client, api_client):
    last = _synced(hooked, minutes_ago=3 * hooked.sync_interval_minutes + 1)
    assert check(check_stale_connections) == {"flagged": 1, "reminded": 0, "cleared": 0}
    flagged = _fresh(hooked)
    assert flagged.stale_since == last + timedelta(minutes=3 * hooked.sync_interval_minutes)
    assert "No successful sync since" in flagged.stale_reason
    [notice] = mail.outbox
    assert notice.to == [owner.email] and str(hooked) in notice.subject and "Reminder" not in notice.subject
    [event] = _events(CONNECTION_STALE)
    assert event["connection_id"] == hooked.pk and event["last_success_at"] == last.isoformat()
    # Once: the next checks within 24 h send nothing more.
    assert check()["reminded"] == 0 and len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        assert check()["reminded"] == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith("Reminder:")
    assert len(_events(CONNECTION_STALE)) == 1  # one event per episode, not per reminder
    # The banner on the connection page and the overview, and the API field.
    assert "stale-banner" in owner_client.get(f"/connections/{hooked.pk}/").content.decode()
    assert "Not syncing" in owner_client.get("/").content.decode()
    assert "not syncing" in owner_client.get("/connections/").content.decode()
    body = api_client.get(f"/api/v1/miinto-connections/{hooked.pk}/").json()
    assert body["stale_since"] is not None and body["stale_reason"] == flagged.stale_reason
    # A successful run clears it.
    _synced(hooked, minutes_ago=0)
    assert check()["cleared"] == 1 and _fresh(hooked).stale_since is None
    assert api_client.get(f"/api/v1/miinto-connections/{hooked.pk}/").json()["stale_since"] is None


def test_refused_miinto_credentials_alert_and_say_since_when(check, hooked, owner, owner_client):
    _synced(hooked, minutes_ago=0)
    services.miinto_connection_pause(connection=hooked, reason="Miinto rejected the credentials.", source=PauseSource.MIINTO_CREDENTIALS)
    paused = _fresh(hooked)
    assert check()["flagged"] == 1
    flagged = _fresh(hooked)
    assert flagged.stale_since == paused.paused_at and "Paused since" in flagged.stale_reason
    assert "Miinto rejected the credentials." in mail.outbox[0].body
    page = owner_client.get(f"/connections/{hooked.pk}/").content.decode()
    assert 'Sync is paused: <span translate="no">Miinto rejected the credentials.</span>' in page and 'id="paused-since">(since ' in page
    # In the merchant's zone, labelled (`when`): "since 2026-12-06 08:41 CET: …"; the time and the stored reason are data.
    assert re.search(
        r'since <span translate="no">\d{4}-\d\d-\d\d \d\d:\d\d [A-Z][A-Za-z0-9+-]*</span>: <span translate="no">Miinto rejected the credentials',
        owner_client.get("/connections/").content.decode(),
    )
    [paused_event] = _events(CONNECTION_PAUSED)
    assert paused_event["source"] == "miinto_credentials" and paused_event["reason"] == "Miinto rejected the credentials."
    services.miinto_connection_unpause(connection=_fresh(hooked))
    assert [e["connection_id"] for e in _events(CONNECTION_RESUMED)] == [hooked.pk]


@pytest.mark.parametrize("source", [PauseSource.MANUAL, PauseSource.PLAN])
def test_a_deliberate_pause_never_alerts(check, hooked, owner, source):
    _synced(hooked, minutes_ago=600)
    services.miinto_connection_pause(connection=hooked, reason="Paused by the merchant", source=source)
    assert check()["flagged"] == 0 and mail.outbox == [] and _events(CONNECTION_STALE) == []


def test_an_archived_or_deactivated_connection_loses_its_flag(check, hooked, owner):
    _synced(hooked, minutes_ago=600)
    check()
    services.miinto_connection_deactivate(connection=_fresh(hooked))
    assert check()["cleared"] == 1 and _fresh(hooked).stale_since is None


def test_problems_opened_and_closed_are_announced(hooked):
    from connections.sync.problems import problem_handle, problem_raise

    problem = problem_raise(merchant=hooked.merchant, kind="outbox_dead", message="It broke", fingerprint="x:1", connection=hooked)
    problem_raise(merchant=hooked.merchant, kind="outbox_dead", message="It broke again", fingerprint="x:1", connection=hooked)
    assert [e["problem_id"] for e in _events(PROBLEM_OPENED)] == [problem.pk]  # a repeat is not a new problem
    problem_handle(merchant=hooked.merchant, problem=problem, by="owner")
    [closed] = _events(PROBLEM_CLOSED)
    assert closed["problem_id"] == problem.pk and closed["state"] == "handled"


def test_beat_runs_the_check_and_the_webhook_sweeper():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"connections.tasks.check_stale_connections", "webhooks.tasks.sweep"} <= tasks


def test_the_alert_reaches_each_owner_in_their_language(check, hooked, danish_owner):
    _synced(hooked, minutes_ago=3 * hooked.sync_interval_minutes + 1)
    assert check()["flagged"] == 1
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    english = "Miinto connection %(connection)s is not syncing"
    danish = in_language("da", english, connection=hooked)
    assert danish != english % {"connection": hooked}
    assert subjects == {danish_owner.email: danish, "co@a.example": english % {"connection": hooked}}
