"""The Shopify app install against the Shopify simulator: authorize → callback → token stored encrypted → webhooks."""

from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.db import connection as db

from connections.models import StoreConnection
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import PrefixMount

SHOP = "acme-wear.myshopify.com"


@pytest.fixture
def simulated_shopify(settings, shopify_sim):
    settings.SHOPIFY_API_BASE_URL = f"{settings.STORE_SIMULATOR_URL}"
    return shopify_sim


def _authorize(owner_client, sim) -> dict:
    """Start the install and let the simulator approve it; returns the callback's query parameters."""
    start = owner_client.post("/stores/shopify/install/", {"shop": SHOP})
    assert start.status_code == 302 and "/shopify/acme-wear.myshopify.com/admin/oauth/authorize?" in start.url
    with httpx.Client(transport=httpx.WSGITransport(app=PrefixMount({"shopify": sim}))) as http:
        approved = http.get(start.url)
    assert approved.status_code == 302
    callback = urlparse(approved.headers["location"])
    assert callback.path == "/stores/shopify/callback/"
    return {k: v[0] for k, v in parse_qs(callback.query).items()}


def test_install_stores_the_token_encrypted_and_registers_webhooks(owner_client, merchant, simulated_shopify):
    params = _authorize(owner_client, simulated_shopify)
    response = owner_client.get("/stores/shopify/callback/", params)
    with merchant_scope(merchant):
        store = StoreConnection.objects.get(platform="shopify")
    assert response.status_code == 302 and response.url == f"/stores/{store.pk}/"
    assert store.credentials["shop_domain"] == SHOP and store.credentials["access_token"].startswith("shpat_")
    assert store.last_test_ok is True
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM connections_storeconnection WHERE id = %s", [store.pk])
        assert store.credentials["access_token"] not in cursor.fetchone()[0]
    topics = sorted(s["topic"] for s in simulated_shopify.shops[SHOP].webhooks)
    assert topics == ["ORDERS_UPDATED", "REFUNDS_CREATE"]
    assert all(s["uri"] == "http://testserver/webhooks/shopify/" for s in simulated_shopify.shops[SHOP].webhooks)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: {**p, "hmac": "0" * 64},
        lambda p: {**p, "state": "someone-elses-state"},
        lambda p: {**p, "shop": "evil.example.com"},
    ],
    ids=["bad-hmac", "wrong-state", "foreign-shop"],
)
def test_a_tampered_callback_is_refused_and_saves_nothing(owner_client, merchant, simulated_shopify, tamper):
    params = tamper(_authorize(owner_client, simulated_shopify))
    response = owner_client.get("/stores/shopify/callback/", params, follow=True)
    assert "The Shopify install was refused" in response.content.decode()
    with merchant_scope(merchant):
        assert StoreConnection.objects.count() == 0
