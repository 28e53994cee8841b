"""The store webhook receiver: verified, deduped, routed to the store's merchant, refused when forged."""

import json

import pytest

from connections import webhooks
from platforms.shopify.webhooks import sign


@pytest.fixture
def received():
    calls = []
    handler = lambda store, event: calls.append((store.pk, event.kind, event.delivery_id))  # noqa: E731
    webhooks.register_webhook_handler("refund_created", handler)
    yield calls
    webhooks._handlers["refund_created"].remove(handler)


def _deliver(client, store, body: bytes, *, secret: str, delivery: str = "d-1", shop: str | None = None, signed: bytes | None = None):
    return client.post(
        "/webhooks/shopify/", body, content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=sign(signed or body, secret), HTTP_X_SHOPIFY_WEBHOOK_ID=delivery, HTTP_X_SHOPIFY_TOPIC="refunds/create",
        HTTP_X_SHOPIFY_SHOP_DOMAIN=shop or store.shop_url,
    )


def test_a_signed_delivery_reaches_the_handler_once(client, tested_store, received, settings):
    body = json.dumps({"id": 7, "order_id": 99}).encode()
    assert _deliver(client, tested_store, body, secret=settings.SHOPIFY_CLIENT_SECRET).status_code == 200
    assert _deliver(client, tested_store, body, secret=settings.SHOPIFY_CLIENT_SECRET).status_code == 200  # replayed
    assert received == [(tested_store.pk, "refund_created", "d-1")]


def test_a_forged_or_tampered_delivery_is_refused(client, tested_store, received, settings):
    body = json.dumps({"id": 7, "order_id": 99}).encode()
    assert _deliver(client, tested_store, body, secret="not-the-app-secret").status_code == 401
    tampered = json.dumps({"id": 7, "order_id": 100}).encode()
    assert _deliver(client, tested_store, tampered, signed=body, secret=settings.SHOPIFY_CLIENT_SECRET, delivery="d-2").status_code == 401
    assert received == []


def test_an_unknown_shop_answers_404(client, tested_store, received, settings):
    body = b"{}"
    assert _deliver(client, tested_store, body, secret=settings.SHOPIFY_CLIENT_SECRET, shop="other.myshopify.com").status_code == 404
    assert received == []


def test_a_signed_body_replayed_under_a_fresh_webhook_id_is_deduped(client, tested_store, received, settings):
    """X-Shopify-Webhook-Id is not signed: a captured body sent again with a new id must not be processed twice."""
    body = json.dumps({"id": 7, "order_id": 99, "created_at": "2026-03-03T09:30:00+01:00"}).encode()
    assert _deliver(client, tested_store, body, secret=settings.SHOPIFY_CLIENT_SECRET, delivery="d-1").status_code == 200
    assert _deliver(client, tested_store, body, secret=settings.SHOPIFY_CLIENT_SECRET, delivery="d-forged").status_code == 200
    assert received == [(tested_store.pk, "refund_created", "d-1")]
