"""The delivery log is kept for WEBHOOK_DELIVERY_RETENTION_DAYS: older delivered rows (and their attempts) go."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from webhooks.models import DeliveryState, WebhookDelivery

BATCH = 5000


def prune_deliveries(now=None) -> int:
    """Delete delivered rows older than the retention, in batches; returns how many. Undelivered ones stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    deleted = 0
    with scopes_disabled():  # a beat task across merchants
        while True:
            pks = list(WebhookDelivery.objects.filter(state=DeliveryState.DONE, created_at__lt=cutoff).values_list("pk", flat=True)[:BATCH])
            if not pks:
                return deleted
            WebhookDelivery.objects.filter(pk__in=pks).delete()
            deleted += len(pks)
