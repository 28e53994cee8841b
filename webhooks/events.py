"""The one way an event leaves Koongo: `emit()` writes a delivery row per subscribed endpoint in the caller's transaction.

The rows commit or roll back with the change they announce; a worker sends them after the commit.
"""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scopes_disabled

from webhooks.delivery import RETRY_WINDOW
from webhooks.event_types import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.queue import schedule
from webhooks.signing import new_message_id


def envelope(event_type: str, data: dict, *, at=None) -> dict:
    """The request body of every event, as Standard Webhooks suggests: type, timestamp, data."""
    return {"type": event_type, "timestamp": (at or timezone.now()).isoformat(), "data": data}


def emit(merchant_id: int, event_type: str, data: dict, *, object_key: str = "") -> list[WebhookDelivery]:
    """Record `event_type` for every endpoint of the merchant that subscribed to it; returns the delivery rows.

    `object_key` ("order:42") keeps one object's events in order at each endpoint. Disabled endpoints get nothing;
    paused ones keep their deliveries until resumed.
    """
    return emit_many(merchant_id, event_type, [(data, object_key)])


def emit_many(merchant_id: int, event_type: str, events: list[tuple[dict, str]]) -> list[WebhookDelivery]:
    """`emit()` for a batch of (data, object_key) of one type: one endpoint query and one bulk insert."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not events:
        return []
    with scopes_disabled():
        candidates = WebhookEndpoint.objects.filter(merchant_id=merchant_id, disabled_at__isnull=True).only(
            "pk", "merchant_id", "paused_at", "event_types"
        )
        # A merchant has a handful of endpoints; filtering here works on SQLite too (no JSON containment there).
        endpoints = [e for e in candidates if event_type in e.event_types]
    if not endpoints:
        return []
    now = timezone.now()
    rows = [
        WebhookDelivery(
            merchant_id=merchant_id, endpoint=endpoint, event_id=new_message_id(), event_type=event_type,
            object_key=object_key[:80], payload=envelope(event_type, data, at=now), created_at=now, next_attempt_at=now,
            retry_until=now + RETRY_WINDOW,
        )
        for data, object_key in events
        for endpoint in endpoints
    ]
    with scopes_disabled():
        WebhookDelivery.objects.bulk_create(rows)
    schedule([row.pk for row in rows if row.pk is not None and row.endpoint.paused_at is None])
    return rows
