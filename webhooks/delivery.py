"""Sending one delivery: claim it (in order per object), sign, POST, log the attempt, then done, retry or give up.

Retries back off exponentially for RETRY_WINDOW (3 days); a delivery still failing then is dead and its endpoint is
disabled with a notice to the owners. Every write after the claim is fenced on the attempt number we claimed.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from koongo.http import shared_ssl_context
from koongo.url_guard import PinnedTransport, UnsafeUrl, vet_url
from webhooks.event_types import TEST
from webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery
from webhooks.notices import endpoint_disable
from webhooks.queue import schedule
from webhooks.signing import signed_headers

log = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(days=3)
BACKOFF_BASE = 30.0  # seconds before the second attempt; doubles each time
BACKOFF_MAX = 8 * 3600.0
LEASE = timedelta(seconds=60)
TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
EXCERPT = 2000


def backoff(attempts: int, rand=random.random) -> float:
    """Seconds before the next attempt: exponential, capped, with equal jitter so a crowd of retries spreads out."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return ceiling / 2 + rand() * ceiling / 2


def _claimable(now) -> Q:
    due = Q(state__in=[DeliveryState.PENDING, DeliveryState.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=DeliveryState.IN_FLIGHT, lease_expires_at__lt=now)
    return due | abandoned


def blocked_by_earlier(delivery: WebhookDelivery) -> bool:
    """An earlier event for the same object at the same endpoint has not been delivered yet: this one waits."""
    if not delivery.object_key:
        return False
    return (
        WebhookDelivery.objects.filter(endpoint_id=delivery.endpoint_id, object_key=delivery.object_key, pk__lt=delivery.pk)
        .exclude(state=DeliveryState.DONE)
        .exists()
    )


def claim(delivery: WebhookDelivery) -> bool:
    """Make the delivery ours with one conditional UPDATE; False when it is not due, not ours or must wait its turn."""
    now = timezone.now()
    if delivery.endpoint.paused_at or delivery.endpoint.disabled_at or blocked_by_earlier(delivery):
        return False
    claimed = WebhookDelivery.objects.filter(_claimable(now), pk=delivery.pk).update(
        state=DeliveryState.IN_FLIGHT, attempts=F("attempts") + 1, lease_expires_at=now + LEASE
    )
    if claimed:
        delivery.refresh_from_db(fields=["state", "attempts", "lease_expires_at"])
    return bool(claimed)


def _fenced(delivery: WebhookDelivery):
    return WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.IN_FLIGHT, attempts=delivery.attempts)


def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due; returns done, failed, dead, not_claimed or missing."""
    with scopes_disabled():
        delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
        if delivery is None:
            return "missing"
        if not claim(delivery):
            return "not_claimed"
        outcome = _attempt(delivery)
    log.info(
        "webhook delivery %s (%s, endpoint %s) attempt %s: %s",
        delivery.event_id, delivery.event_type, delivery.endpoint_id, delivery.attempts, outcome,
    )
    return outcome


def _post(delivery: WebhookDelivery, body: bytes) -> tuple[int | None, str, str]:
    """POST the signed body; (status, response excerpt, error).

    The URL is checked again (DNS may have changed since it was registered) and the connection goes to the addresses
    that check vetted, so a second DNS answer (rebinding to 127.0.0.1 or the metadata service) is never used.
    """
    endpoint = delivery.endpoint
    try:
        vetted = vet_url(endpoint.url, allow_private=settings.ALLOW_PRIVATE_STORE_URLS)
    except UnsafeUrl as error:
        return None, "", error.message
    headers = signed_headers(delivery.event_id, timezone.now(), body, endpoint.signing_secrets())
    transport = PinnedTransport(vetted, verify=shared_ssl_context())
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return None, "", f"{type(error).__name__}: {error}"[:EXCERPT]
    return response.status_code, response.text[:EXCERPT], ""


def _attempt(delivery: WebhookDelivery) -> str:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    started = time.monotonic()
    status, excerpt, error = _post(delivery, body)
    latency_ms = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    if not ok and not error:
        error = f"the endpoint answered {status}"
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            merchant_id=delivery.merchant_id, delivery=delivery, number=delivery.attempts, sent_at=now,
            request_body=body.decode(), response_status=status, response_body=excerpt, latency_ms=latency_ms, error=error,
        )
        if ok:
            _fenced(delivery).update(state=DeliveryState.DONE, done_at=now, lease_expires_at=None, last_status=status, last_error="")
            _next_in_line(delivery)
            return "done"
        if now >= delivery.retry_until or status == 410:
            # 410 Gone: the receiver says this endpoint no longer exists, so retrying for days helps nobody.
            _fenced(delivery).update(state=DeliveryState.DEAD, lease_expires_at=None, last_status=status, last_error=error)
            if delivery.event_type != TEST:  # a failed test event says so in the log; it never disables the endpoint
                failing_for = _span(now - delivery.retry_until + RETRY_WINDOW)
                endpoint_disable(delivery.endpoint, reason=f"Deliveries kept failing for {failing_for}: {error}")
            return "dead"
        _fenced(delivery).update(
            state=DeliveryState.FAILED, lease_expires_at=None, last_status=status, last_error=error,
            next_attempt_at=now + timedelta(seconds=backoff(delivery.attempts)),
        )
        return "failed"


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def _next_in_line(delivery: WebhookDelivery) -> None:
    """The object's next event was waiting for this one: send it now rather than at the next sweep."""
    if not delivery.object_key:
        return
    following = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id, object_key=delivery.object_key, pk__gt=delivery.pk,
            state__in=[DeliveryState.PENDING, DeliveryState.FAILED], next_attempt_at__lte=timezone.now(),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following:
        schedule([following])


def due_ids(limit: int = 500) -> list[int]:
    """Deliveries the sweeper should (re)send: due, or abandoned by a worker that died; active endpoints only."""
    now = timezone.now()
    with scopes_disabled():
        return list(
            WebhookDelivery.objects.filter(_claimable(now), endpoint__paused_at__isnull=True, endpoint__disabled_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
