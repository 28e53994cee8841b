"""Delivery to a real receiver on loopback: Standard Webhooks signatures, retries, per-object order, rotation, disabling."""

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.i18n.wording import in_language
from webhooks import delivery, services, tasks
from webhooks.event_types import ORDER_PUSHED, PROBLEM_OPENED, SHIPMENT_SENT
from webhooks.events import emit
from webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _emit(merchant, event_type=ORDER_PUSHED, data=None, key="order:1", capture=None):
    """Emit in a committed transaction, running the on-commit enqueue (eager Celery sends at once)."""
    with capture(execute=True):
        with transaction.atomic():
            return emit(merchant.pk, event_type, data or {"order_id": 1}, object_key=key)


def _state(row):
    with scopes_disabled():
        return WebhookDelivery.objects.get(pk=row.pk).state


def _sweep(capture):
    with capture(execute=True):
        return tasks.sweep()


def _make_due(*rows):
    with scopes_disabled():
        WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_delivery_verifies_with_the_library_and_carries_the_standard_headers(
    merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = endpoint_and_secret
    assert secret.startswith("whsec_")
    [row] = _emit(merchant, data={"order_id": 7, "connection_id": 3}, capture=django_capture_on_commit_callbacks)
    [request] = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == ORDER_PUSHED and payload["data"] == {"order_id": 7, "connection_id": 3}
    assert request.headers["webhook-id"] == row.event_id and row.event_id.startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["content-type"] == "application/json"
    # A tampered body or another secret fails the library's verifier.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b"7", b"8"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(services.new_secret()).verify(request.body, request.headers)
    assert _state(row) == DeliveryState.DONE
    with scopes_disabled():
        [attempt] = WebhookAttempt.objects.filter(delivery=row)
    assert attempt.response_status == 200 and attempt.latency_ms is not None and json.loads(attempt.request_body) == payload


def test_a_5xx_is_retried_with_backoff_and_the_same_webhook_id(merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks):
    _, secret = endpoint_and_secret
    receiver.script = [503, 500]
    [row] = _emit(merchant, capture=django_capture_on_commit_callbacks)
    with scopes_disabled():
        failed = WebhookDelivery.objects.get(pk=row.pk)
    assert failed.state == DeliveryState.FAILED and failed.last_status == 503
    assert failed.next_attempt_at > timezone.now() + timedelta(seconds=10)  # backoff, not a hot loop
    assert tasks.sweep() == 0  # not due yet
    _make_due(row)
    _sweep(django_capture_on_commit_callbacks)
    assert _state(row) == DeliveryState.FAILED
    with scopes_disabled():
        second_wait = WebhookDelivery.objects.get(pk=row.pk).next_attempt_at - timezone.now()
    assert second_wait > timedelta(seconds=20)  # the step doubled (30 s base: 15-30 s, then 30-60 s)
    _make_due(row)
    _sweep(django_capture_on_commit_callbacks)
    assert _state(row) == DeliveryState.DONE
    assert [r.headers["webhook-id"] for r in receiver.requests] == [row.event_id] * 3
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    with scopes_disabled():
        assert list(WebhookAttempt.objects.filter(delivery=row).order_by("number").values_list("response_status", flat=True)) == [503, 500, 200]


def test_backoff_grows_exponentially_up_to_its_cap():
    low = [delivery.backoff(n, rand=lambda: 0.0) for n in (1, 2, 3, 4)]
    assert low == [15.0, 30.0, 60.0, 120.0]
    assert delivery.backoff(30, rand=lambda: 1.0) == delivery.BACKOFF_MAX


def test_events_for_one_object_are_delivered_in_order(merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks):
    receiver.script = [500]
    [first] = _emit(merchant, ORDER_PUSHED, {"step": 1}, key="order:9", capture=django_capture_on_commit_callbacks)
    [second] = _emit(merchant, SHIPMENT_SENT, {"step": 2}, key="order:9", capture=django_capture_on_commit_callbacks)
    [other] = _emit(merchant, ORDER_PUSHED, {"step": "other"}, key="order:10", capture=django_capture_on_commit_callbacks)
    # The first failed; the second waits for it, while another object's event goes through.
    assert (_state(first), _state(second), _state(other)) == ("failed", "pending", "done")
    assert delivery.deliver(second.pk) == "not_claimed"
    _make_due(first)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep()
    assert (_state(first), _state(second)) == ("done", "done")
    bodies = [json.loads(r.body)["data"]["step"] for r in receiver.requests]
    assert bodies == [1, "other", 1, 2]


def test_rotation_signs_with_both_secrets_during_the_overlap_only(
    merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks
):
    endpoint, old = endpoint_and_secret
    with scopes_disabled():
        new = services.endpoint_rotate_secret(endpoint=endpoint, overlap=timedelta(hours=2))
    assert new != old and new.startswith("whsec_")
    _emit(merchant, capture=django_capture_on_commit_callbacks)
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            emit(merchant.pk, ORDER_PUSHED, {"after": True}, object_key="order:2")
        after = receiver.requests[-1]
        Webhook(new).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(after.body, after.headers)


def test_events_roll_back_with_the_transaction_that_emitted_them(merchant, endpoint_and_secret, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(merchant.pk, ORDER_PUSHED, {"order_id": 1})
        raise RuntimeError("the change failed")
    with scopes_disabled():
        assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_only_subscribed_and_enabled_endpoints_get_a_delivery(merchant, other_merchant, receiver):
    with scopes_disabled():
        mine, _ = services.endpoint_create(merchant=merchant, url=receiver.url, event_types=[PROBLEM_OPENED])
        theirs, _ = services.endpoint_create(merchant=other_merchant, url=receiver.url, event_types=[ORDER_PUSHED])
    assert emit(merchant.pk, ORDER_PUSHED, {}) == []
    rows = emit(merchant.pk, PROBLEM_OPENED, {})
    assert [r.endpoint_id for r in rows] == [mine.pk]
    with pytest.raises(ValueError):
        emit(merchant.pk, "order.exploded", {})


def test_a_paused_endpoint_keeps_its_events_and_sends_them_on_resume(
    merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = endpoint_and_secret
    with scopes_disabled():
        services.endpoint_pause(endpoint=endpoint)
    [row] = _emit(merchant, capture=django_capture_on_commit_callbacks)
    assert receiver.requests == [] and _state(row) == "pending"
    assert tasks.sweep() == 0
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        services.endpoint_resume(endpoint=WebhookEndpoint.objects.get(pk=endpoint.pk))
    assert _state(row) == "done" and len(receiver.requests) == 1


def test_three_days_of_failure_disable_the_endpoint_and_tell_the_owners(
    merchant, owner, endpoint_and_secret, receiver, django_capture_on_commit_callbacks, owner_client
):
    endpoint, _ = endpoint_and_secret
    receiver.script = [500] * 10
    [row] = _emit(merchant, capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=False):
        _make_due(row)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.sweep()
    assert _state(row) == DeliveryState.DEAD
    with scopes_disabled():
        disabled = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert disabled.disabled_at is not None and "kept failing" in disabled.disabled_reason
    [notice] = mail.outbox
    assert notice.to == [owner.email] and endpoint.url in notice.body
    # New events are not recorded for a disabled endpoint; the overview shows a banner.
    assert emit(merchant.pk, ORDER_PUSHED, {}) == []
    page = owner_client.get("/").content.decode()
    assert "Webhooks disabled" in page and endpoint.url in page
    # Enabling it again sends what gave up, with the same id.
    receiver.script = []
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        services.endpoint_resume(endpoint=disabled)
    assert _state(row) == "done" and receiver.requests[-1].headers["webhook-id"] == row.event_id


def test_the_disabled_endpoint_notice_reaches_each_owner_in_their_language(
    merchant, danish_owner, endpoint_and_secret, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [410]
    _emit(merchant, capture=django_capture_on_commit_callbacks)
    english = "Koongo webhooks: an endpoint was disabled"
    danish = in_language("da", english)
    assert danish != english
    assert {m.to[0]: m.subject for m in mail.outbox} == {danish_owner.email: danish, "co@a.example": english}


def test_410_gone_disables_at_once(merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks):
    endpoint, _ = endpoint_and_secret
    receiver.script = [410]
    [row] = _emit(merchant, capture=django_capture_on_commit_callbacks)
    assert _state(row) == "dead"
    with scopes_disabled():
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).disabled_at is not None


def test_no_secret_reaches_a_log_line_or_the_delivery_log(
    merchant, endpoint_and_secret, receiver, django_capture_on_commit_callbacks, caplog
):
    endpoint, secret = endpoint_and_secret
    caplog.set_level(logging.DEBUG)
    receiver.script = [500]
    [row] = _emit(merchant, capture=django_capture_on_commit_callbacks)
    _make_due(row)
    _sweep(django_capture_on_commit_callbacks)
    with scopes_disabled():
        rotated = services.endpoint_rotate_secret(endpoint=endpoint)
    assert len(receiver.requests) == 2 and caplog.records  # something was logged
    raw = secret.removeprefix("whsec_")
    for text in (caplog.text, repr([r.__dict__ for r in caplog.records])):
        assert raw not in text and rotated.removeprefix("whsec_") not in text
    with scopes_disabled():
        stored = " ".join(WebhookAttempt.objects.values_list("request_body", flat=True))
        assert raw not in stored
        # The secret is encrypted at rest.
        from django.db import connection as db

        with db.cursor() as cursor:
            cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
            assert raw not in cursor.fetchone()[0]


def test_the_ssrf_guard_stops_a_delivery_to_a_private_address(
    merchant, endpoint_and_secret, receiver, settings, django_capture_on_commit_callbacks
):
    settings.ALLOW_PRIVATE_STORE_URLS = False  # production: the receiver's 127.0.0.1 is not a public address
    endpoint, _ = endpoint_and_secret
    with scopes_disabled():  # an https URL that resolves (say, after a DNS change) to loopback
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url.replace("http://", "https://"))
    [row] = _emit(merchant, capture=django_capture_on_commit_callbacks)
    assert receiver.requests == []
    with scopes_disabled():
        [attempt] = WebhookAttempt.objects.filter(delivery=row)
    assert attempt.response_status is None and "non-public address" in attempt.error
    assert _state(row) == "failed"


def test_delivered_rows_past_the_retention_are_pruned_and_undelivered_ones_kept(merchant, endpoint_and_secret, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    with scopes_disabled():
        old_done, old_failed, recent_done = (emit(merchant.pk, ORDER_PUSHED, {"n": n}, object_key=f"order:{n}")[0] for n in range(3))
        WebhookDelivery.objects.filter(pk=old_done.pk).update(state="done", created_at=timezone.now() - timedelta(days=31))
        WebhookDelivery.objects.filter(pk=old_failed.pk).update(state="failed", created_at=timezone.now() - timedelta(days=31))
        WebhookDelivery.objects.filter(pk=recent_done.pk).update(state="done")
    assert tasks.prune() == 1
    with scopes_disabled():
        assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_failed.pk, recent_done.pk}
