"""What owners do with endpoints (dashboard, API and admin share these): create, edit, rotate, pause, resend, test."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from koongo.url_guard import UnsafeUrl, check_url
from webhooks.delivery import RETRY_WINDOW
from webhooks.event_types import EVENT_TYPES, TEST
from webhooks.events import envelope
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.queue import schedule
from webhooks.signing import new_message_id, new_secret

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)


def validate_url(url: str) -> str:
    """The SSRF guard of store URLs: https and public addresses only (private ones in development and the demo)."""
    try:
        return check_url(url, allow_private=settings.ALLOW_PRIVATE_STORE_URLS)
    except UnsafeUrl as error:
        raise ValidationError({"url": error.message}) from None


def validate_event_types(event_types) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError({"event_types": _("Unknown event types: %(types)s") % {"types": ", ".join(unknown)}})
    if not event_types:
        raise ValidationError({"event_types": _("Choose at least one event type.")})
    return sorted(set(event_types))


def endpoint_create(*, merchant, url: str, event_types, description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret; the secret is returned here once and never shown again."""
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        merchant=merchant, url=validate_url(url), event_types=validate_event_types(event_types), description=description,
        secret=secret,
    )
    return endpoint, secret


def endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    if "url" in changes:
        endpoint.url = validate_url(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = validate_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["url", "event_types", "description", "updated_at"])
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, overlap: timedelta = DEFAULT_OVERLAP) -> str:
    """A new secret, returned once; the old one keeps signing alongside it for `overlap`, so receivers switch calmly."""
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise ValidationError({"overlap_hours": _("The overlap must be between 0 and %(hours)s hours.") % {"hours": MAX_OVERLAP.days * 24}})
    secret = new_secret()
    now = timezone.now()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_expires_at = now + overlap if overlap else None
    if not overlap:
        endpoint.previous_secret = ""
    endpoint.updated_at = now
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return secret


def endpoint_pause(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Hold deliveries (they are still recorded) until resumed."""
    if endpoint.paused_at is None:
        endpoint.paused_at = endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=["paused_at", "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_resume(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Resume a paused endpoint or enable a disabled one; what waited, or gave up, is sent again in order."""
    now = timezone.now()
    revived = endpoint.disabled_at is not None
    endpoint.paused_at = endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.updated_at = now
    endpoint.save(update_fields=["paused_at", "disabled_at", "disabled_reason", "updated_at"])
    waiting = WebhookDelivery.objects.filter(endpoint=endpoint, state__in=[DeliveryState.PENDING, DeliveryState.FAILED])
    if revived:
        WebhookDelivery.objects.filter(endpoint=endpoint, state=DeliveryState.DEAD).update(
            state=DeliveryState.PENDING, next_attempt_at=now, retry_until=now + RETRY_WINDOW
        )
        waiting = WebhookDelivery.objects.filter(endpoint=endpoint, state__in=[DeliveryState.PENDING, DeliveryState.FAILED])
    waiting.update(next_attempt_at=now)
    schedule(list(waiting.order_by("pk").values_list("pk", flat=True)[:500]))
    return endpoint


def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event again, with the same webhook-id (receivers dedupe on it), and retry it for 3 more days."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(state=DeliveryState.IN_FLIGHT).update(
        state=DeliveryState.PENDING, next_attempt_at=now, retry_until=now + RETRY_WINDOW, done_at=None
    )
    delivery.refresh_from_db()
    schedule([delivery.pk])
    return delivery


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, whatever it subscribed to, so the receiver can be checked."""
    now = timezone.now()
    data = {"endpoint_id": endpoint.pk, "message": "A test event from Koongo: your endpoint receives signed events."}
    delivery = WebhookDelivery.objects.create(
        merchant_id=endpoint.merchant_id, endpoint=endpoint, event_id=new_message_id(), event_type=TEST,
        payload=envelope(TEST, data, at=now), created_at=now, next_attempt_at=now, retry_until=now + timedelta(hours=1),
    )
    if endpoint.paused_at is None and endpoint.disabled_at is None:
        schedule([delivery.pk])
    return delivery


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()
