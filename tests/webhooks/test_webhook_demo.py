"""The demo registers an endpoint at its loopback receiver; the receiver verifies every signature with the library."""

import json
import urllib.request

from django_scopes import scopes_disabled

from webhooks.demo import seed_demo_webhooks
from webhooks.models import WebhookEndpoint


def test_the_demo_endpoint_reaches_the_receiver_verified_and_seeding_twice_is_safe(
    merchant, receiver, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DEMO_RECEIVER_URL = receiver.url.removesuffix("/hooks")
    settings.WEBHOOK_DEMO_SECRET_FILE = receiver.secret_file = tmp_path / "secret"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            seed_demo_webhooks(merchant=merchant)
    with scopes_disabled():
        [endpoint] = WebhookEndpoint.objects.filter(merchant=merchant)
        assert endpoint.secret == settings.WEBHOOK_DEMO_SECRET_FILE.read_text()
    with urllib.request.urlopen(f"{settings.WEBHOOK_DEMO_RECEIVER_URL}/") as response:
        summary = json.load(response)
    assert summary["received"] == 2
    assert [(e["type"], e["verified"]) for e in summary["latest"]] == [("webhook.test", True), ("webhook.test", True)]
