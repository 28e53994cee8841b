"""Tests for Shopify webhooks: signature checks, secret rotation, replay dedupe, and subscription registration."""

import json

import pytest

from koongo.coordination import Locks, MemoryBackend
from koongo.sandbox_kit import wsgi_transport
from platforms.dedupe import DeliveryDeduper
from platforms.errors import WebhookRejected
from platforms.shopify.adapter import ShopifyAdapter
from platforms.shopify.sandbox import ShopifySandbox
from platforms.shopify.webhooks import receive_delivery, register_webhooks, sign, verify_delivery
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.shopify.conftest import SECRET, fixture

BODY = json.dumps(fixture("webhook_refunds_create")).encode()
URI = "https://koongo.example/hooks/shopify"


def _headers(body: bytes = BODY, secret: str = SECRET, delivery: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043") -> dict:
    return {
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": "acme.myshopify.com",
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-API-Version": "2026-04",
    }


def test_sign_is_base64_hmac_sha256_of_the_raw_body():
    # openssl: printf %s {"id":1} | openssl dgst -sha256 -hmac hush -binary | base64
    assert sign(b'{"id":1}', "hush") == "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="


def test_a_tampered_body_is_rejected():
    with pytest.raises(WebhookRejected, match="does not match"):
        verify_delivery(_headers(), BODY.replace(b"929361462", b"929361999"), secrets=[SECRET])


def test_a_delivery_signed_with_another_secret_is_rejected():
    with pytest.raises(WebhookRejected):
        verify_delivery(_headers(secret="not-our-app"), BODY, secrets=[SECRET])


def test_an_unsigned_delivery_or_a_missing_secret_is_rejected():
    unsigned = {key: value for key, value in _headers().items() if key != "X-Shopify-Hmac-Sha256"}
    with pytest.raises(WebhookRejected, match="no X-Shopify-Hmac-Sha256"):
        verify_delivery(unsigned, BODY, secrets=[SECRET])
    with pytest.raises(WebhookRejected, match="no Shopify app client secret"):
        verify_delivery(_headers(), BODY, secrets=[])


def test_the_previous_secret_verifies_while_a_rotation_applies():
    assert verify_delivery(_headers(secret="old-secret"), BODY, secrets=[SECRET, "old-secret"]).delivery_id


def test_a_replayed_delivery_is_deduped_on_its_signed_body_not_the_unsigned_webhook_id():
    deduper = DeliveryDeduper(Locks(MemoryBackend()))
    first = receive_delivery(_headers(), BODY, secrets=[SECRET], deduper=deduper)
    replay = receive_delivery(_headers(), BODY, secrets=[SECRET], deduper=deduper)
    # The webhook id header is not signed: the same signed body under a fresh id is still the same delivery.
    renamed = receive_delivery(_headers(delivery="another-delivery"), BODY, secrets=[SECRET], deduper=deduper)
    assert (first.object_id, replay, renamed) == ("gid://shopify/Refund/929361462", None, None)
    assert first.dedupe_key == "refunds/create:929361462:2026-03-03T09:30:00+01:00"


def test_a_changed_object_is_a_new_delivery():
    deduper = DeliveryDeduper(Locks(MemoryBackend()))
    order = {"id": 450789469, "updated_at": "2026-03-20T10:00:00Z"}
    later = {**order, "updated_at": "2026-03-20T11:00:00Z"}
    first, second = (json.dumps(order).encode(), json.dumps(later).encode())
    headers = {**_headers(first), "X-Shopify-Topic": "orders/updated"}
    assert receive_delivery(headers, first, secrets=[SECRET], deduper=deduper).signed_key == "orders/updated:450789469:2026-03-20T10:00:00Z"
    headers = {**_headers(second), "X-Shopify-Topic": "orders/updated"}
    assert receive_delivery(headers, second, secrets=[SECRET], deduper=deduper).signed_key == "orders/updated:450789469:2026-03-20T11:00:00Z"


def test_registration_creates_only_the_missing_subscriptions(shop, adapter):
    shop.on("webhookSubscriptions", "webhook_subscriptions").on("webhookSubscriptionCreate", "webhook_subscription_create")
    assert register_webhooks(adapter.client, URI) == {
        "REFUNDS_CREATE": "gid://shopify/WebhookSubscription/4759307",
        "ORDERS_UPDATED": "gid://shopify/WebhookSubscription/4759306",
    }
    assert shop.call("webhookSubscriptionCreate").variables == {
        "topic": "REFUNDS_CREATE",
        "webhookSubscription": {"uri": URI, "format": "JSON"},
    }


def test_registering_again_after_a_reinstall_adds_nothing_and_refunds_are_then_delivered_there():
    sandbox = ShopifySandbox(1)
    adapter = ShopifyAdapter(sandbox.demo_credentials(), transport=wsgi_transport(sandbox))
    first = register_webhooks(adapter.client, URI)
    assert register_webhooks(adapter.client, URI) == first
    assert len(sandbox.shop().webhooks) == 2
    sandbox.seed_products(CATALOG)
    ref = adapter.create_order(make_draft("hook-2", "DKK"))
    sandbox.make_refund(ref.id, [{"sku": "TEE-WHITE-M", "quantity": 1}])
    [delivery] = [d for d in sandbox.webhook_deliveries() if d["topic"] == "refunds/create"]
    assert delivery["uris"] == [URI]
