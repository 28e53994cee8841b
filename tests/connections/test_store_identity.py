"""One merchant per store and per Miinto shop (issue 14, item 2): refused with a field message, enforced by the
database, and webhooks routed to the store whose secret verifies them, never to a look-alike."""

import json

import pytest
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from connections import services, webhooks
from connections.models import MiintoConnection, StoreConnection
from koongo.accounts.tenancy import merchant_scope
from platforms.shopify.webhooks import sign
from tests.conftest import make_api_client
from tests.connections.conftest import DK_SHOP, MIINTO_PASSWORD, MIINTO_USER, shopify_credentials

TAKEN = "This store is already connected to another Koongo account. A store can be connected by one account only."


def stores_of(merchant):
    with merchant_scope(merchant):
        return list(StoreConnection.objects.values_list("name", "store_identity"))


def test_another_merchant_cannot_connect_the_same_shopify_shop(tested_store, other_merchant, shopify_sim):
    credentials = {**shopify_credentials(shopify_sim), "shop_domain": tested_store.shop_url.upper()}
    with merchant_scope(other_merchant), pytest.raises(services.ValidationError) as refused:
        services.store_connection_create(merchant=other_merchant, platform="shopify", name="Aaa first by name", credentials=credentials)
    assert refused.value.message_dict == {"shop_domain": [TAKEN]}
    assert stores_of(other_merchant) == []


def test_the_api_answers_a_field_message_for_a_taken_shop_url(merchant, other_merchant):
    payload = {
        "platform": "prestashop",
        "name": "Shop",
        "credentials": {"shop_url": "https://Shop.Example.com/", "api_key": "A" * 32, "payment_module": "miinto"},
    }
    assert make_api_client(merchant).post("/api/v1/store-connections/", payload, format="json").status_code == 201
    again = {**payload, "credentials": {**payload["credentials"], "shop_url": "https://shop.example.com"}}
    answer = make_api_client(other_merchant).post("/api/v1/store-connections/", again, format="json")
    assert (answer.status_code, answer.json()) == (400, {"shop_url": [TAKEN]})
    own = make_api_client(merchant).post("/api/v1/store-connections/", {**again, "name": "Twice"}, format="json")
    assert (own.status_code, own.json()) == (400, {"shop_url": ["You already have a connection to this store."]})
    assert stores_of(other_merchant) == []


def test_the_database_refuses_a_second_merchant_on_one_store(merchant, other_merchant):
    with scopes_disabled():
        StoreConnection.objects.create(merchant=merchant, platform="shopify", name="A", shop_url="acme.myshopify.com", credentials={})
        with pytest.raises(IntegrityError), transaction.atomic():
            StoreConnection.objects.create(merchant=other_merchant, platform="shopify", name="B", shop_url="ACME.myshopify.com", credentials={})
        # Another platform's store of the same name, and stores that name nothing, are not the same store.
        StoreConnection.objects.create(merchant=other_merchant, platform="bigcommerce", name="B", shop_url="acme.myshopify.com", credentials={})
        StoreConnection.objects.create(merchant=merchant, platform="shopify", name="C", credentials={})
        StoreConnection.objects.create(merchant=other_merchant, platform="shopify", name="C", credentials={})


def test_the_database_refuses_a_second_merchant_on_one_miinto_shop(merchant, other_merchant):
    fields = {"environment": "production", "username": "u", "password": "p", "channel_id": "", "channel_token": "",
              "shop_id": DK_SHOP, "market": "DK", "currency": "DKK"}  # fmt: skip
    with scopes_disabled():
        MiintoConnection.objects.create(merchant=merchant, **fields)
        with pytest.raises(IntegrityError), transaction.atomic():
            MiintoConnection.objects.create(merchant=other_merchant, **fields)
        MiintoConnection.objects.create(merchant=other_merchant, **{**fields, "environment": "sandbox"})


def test_another_merchant_cannot_connect_the_same_miinto_shop(connection, other_merchant):
    answer = make_api_client(other_merchant).post(
        "/api/v1/miinto-connections/",
        {"environment": "simulator", "username": MIINTO_USER, "password": MIINTO_PASSWORD, "shop_id": DK_SHOP},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "shop_id": [
            f"The Miinto shop {DK_SHOP} is already connected to another Koongo account. A Miinto shop can be connected by one account only."
        ]
    }
    with merchant_scope(other_merchant):
        assert MiintoConnection.objects.count() == 0


@pytest.fixture
def received():
    calls = []
    handler = lambda store, event: calls.append((store.merchant_id, store.pk))  # noqa: E731
    webhooks.register_webhook_handler("refund_created", handler)
    yield calls
    webhooks._handlers["refund_created"].remove(handler)


def test_a_genuine_delivery_reaches_its_merchant_after_a_hijack_attempt(client, tested_store, other_merchant, shopify_sim, settings, received):
    with merchant_scope(other_merchant), pytest.raises(services.ValidationError):
        services.store_connection_create(
            merchant=other_merchant, platform="shopify", name="Aaa", credentials=shopify_credentials(shopify_sim)
        )
    body = json.dumps({"id": 7, "order_id": 99}).encode()
    answer = client.post(
        "/webhooks/shopify/", body, content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=sign(body, settings.SHOPIFY_CLIENT_SECRET), HTTP_X_SHOPIFY_WEBHOOK_ID="d-1",
        HTTP_X_SHOPIFY_TOPIC="refunds/create", HTTP_X_SHOPIFY_SHOP_DOMAIN=tested_store.shop_url.upper(),
    )  # fmt: skip
    assert answer.status_code == 200
    assert received == [(tested_store.merchant_id, tested_store.pk)]


def test_routing_picks_the_store_whose_secret_verifies_not_the_first(merchant, other_merchant, rf, settings):
    """Whatever stores the unsigned header matched, the one whose own secret verifies the body gets the delivery."""
    body = json.dumps({"id": 7, "order_id": 99}).encode()
    base = {"shop_domain": "acme.myshopify.com", "access_token": "shpat_x"}
    with scopes_disabled():
        impostor = StoreConnection(merchant=other_merchant, platform="shopify", name="A", credentials={**base, "app_client_secrets": ["impostor"]})
        genuine = StoreConnection(merchant=merchant, platform="shopify", name="B", credentials={**base, "app_client_secrets": ["genuine"]})
        impostor.save()
        genuine.save()
    request = rf.post("/webhooks/shopify/", body, content_type="application/json",
                      HTTP_X_SHOPIFY_HMAC_SHA256=sign(body, "genuine"), HTTP_X_SHOPIFY_WEBHOOK_ID="d-1", HTTP_X_SHOPIFY_TOPIC="refunds/create")  # fmt: skip
    store, event = webhooks._verified("shopify", [impostor, genuine], request)
    assert (store.pk, event.object_id) == (genuine.pk, None)
    forged = rf.post("/webhooks/shopify/", body, content_type="application/json",
                     HTTP_X_SHOPIFY_HMAC_SHA256=sign(body, "nobody"), HTTP_X_SHOPIFY_WEBHOOK_ID="d-2", HTTP_X_SHOPIFY_TOPIC="refunds/create")  # fmt: skip
    assert webhooks._verified("shopify", [impostor, genuine], forged) == (None, None)
