"""Reads for the dashboard and the API: a merchant's endpoints and their delivery log."""

from __future__ import annotations

from django.db.models import Count, Q

from webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.notices import disabled_endpoints


def endpoints(merchant):
    return WebhookEndpoint.objects.filter(merchant=merchant).annotate(
        waiting=Count("deliveries", filter=Q(deliveries__state__in=[DeliveryState.PENDING, DeliveryState.FAILED]))
    )


def endpoint(merchant, pk) -> WebhookEndpoint:
    return WebhookEndpoint.objects.get(merchant=merchant, pk=pk)


def deliveries(merchant):
    return WebhookDelivery.objects.filter(merchant=merchant).select_related("endpoint")


def attempts(merchant, delivery_ids):
    return WebhookAttempt.objects.filter(merchant=merchant, delivery_id__in=list(delivery_ids)).order_by("delivery_id", "number")


def overview_context(merchant) -> dict:
    """The overview's banner: endpoints disabled after persistent failure."""
    return {"disabled_endpoints": disabled_endpoints(merchant)}
