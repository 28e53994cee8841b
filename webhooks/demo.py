"""Demo data: an endpoint for every event at the demo's loopback receiver, so the delivery log fills as the demo runs.

The secret is shown once, so the demo hands it to its receiver through a file, which then verifies every signature.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_scopes import scopes_disabled

from webhooks import services
from webhooks.event_types import EVENT_TYPES
from webhooks.models import WebhookEndpoint


def seed_demo_webhooks(sender=None, *, merchant, stdout=None, **kwargs) -> str:
    """The demo_seeded receiver (idempotent): the endpoint, its secret in the receiver's file, and a test event."""
    url = f"{settings.WEBHOOK_DEMO_RECEIVER_URL}/hooks"
    secret_file = settings.WEBHOOK_DEMO_SECRET_FILE
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.filter(merchant=merchant, url=url).first()
        if endpoint is None:
            endpoint, secret = services.endpoint_create(
                merchant=merchant, url=url, event_types=list(EVENT_TYPES), description="Demo receiver (loopback)"
            )
        else:
            secret = services.endpoint_rotate_secret(endpoint=endpoint, overlap=timedelta(0))
        secret_file.write_text(secret)
        secret_file.chmod(0o600)
        services.endpoint_send_test(endpoint=endpoint)
    return f"demo webhook endpoint {url} (every event; received requests at {settings.WEBHOOK_DEMO_RECEIVER_URL}/)"
