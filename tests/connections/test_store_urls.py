"""SSRF guard on store connections (issue 14, item 3): no hidden location fields from the API, https and public
addresses only in production (checked at connect time and again before each adapter is built)."""

import pytest

from connections import clients, services
from connections.models import StoreConnection
from koongo.accounts.tenancy import merchant_scope
from koongo.url_guard import UnsafeUrl
from tests.connections.conftest import shopify_credentials

MAGENTO = {"store_code": "default", "consumer_key": "ck", "consumer_secret": "cs", "access_token": "at", "access_token_secret": "ats"}


@pytest.fixture
def production_guard(settings):
    settings.ALLOW_PRIVATE_STORE_URLS = False


def stores(merchant):
    with merchant_scope(merchant):
        return StoreConnection.objects.count()


def test_the_api_refuses_a_hidden_base_url(api_client, merchant, shopify_sim):
    credentials = {**shopify_credentials(shopify_sim), "base_url": "http://127.0.0.1:6379/"}
    answer = api_client.post("/api/v1/store-connections/", {"platform": "shopify", "name": "Web", "credentials": credentials}, format="json")
    assert (answer.status_code, answer.json()) == (400, {"base_url": ["This field is set by Koongo and cannot be sent."]})
    bigcommerce = {"store_hash": "abc", "access_token": "t", "base_url": "http://169.254.169.254/latest"}
    answer = api_client.post("/api/v1/store-connections/", {"platform": "bigcommerce", "name": "B", "credentials": bigcommerce}, format="json")
    assert (answer.status_code, answer.json()) == (400, {"base_url": ["This field is set by Koongo and cannot be sent."]})
    assert stores(merchant) == 0


@pytest.mark.parametrize(
    "platform,credentials,field,message",
    [
        ("magento2", {**MAGENTO, "base_url": "http://shop.example.com"}, "base_url", "The address must start with https://"),
        ("magento2", {**MAGENTO, "base_url": "https://127.0.0.1:8766/magento2"}, "base_url",
         "127.0.0.1 resolves to a non-public address (127.0.0.1); Koongo only calls public servers"),
        ("prestashop", {"shop_url": "https://localhost/", "api_key": "A" * 32, "payment_module": "miinto"}, "shop_url",
         "localhost resolves to a non-public address"),
        ("shopware5", {"shop_url": "https://[::1]:8443", "username": "api", "api_key": "k", "payment_id": 1, "dispatch_id": 1},
         "shop_url", "::1 resolves to a non-public address (::1)"),
    ],
)  # fmt: skip
def test_private_or_plain_http_store_urls_are_refused_at_connect_time(api_client, merchant, production_guard, platform, credentials, field, message):
    answer = api_client.post("/api/v1/store-connections/", {"platform": platform, "name": "S", "credentials": credentials}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == [field] and answer.json()[field][0].startswith(message)
    assert stores(merchant) == 0


def test_a_store_saved_before_is_not_called_once_its_address_is_private(merchant, production_guard, shopify_sim):
    with merchant_scope(merchant):
        store = StoreConnection.objects.create(
            merchant=merchant, platform="magento2", name="M", credentials={**MAGENTO, "base_url": "https://10.0.0.8"}
        )
        with pytest.raises(UnsafeUrl):
            clients.store_adapter(store)
        tested = services.store_connection_test(store_connection=store)
    assert (tested.last_test_ok, tested.last_test_message) == (
        False,
        "Koongo will not call this store's address: 10.0.0.8 resolves to a non-public address (10.0.0.8); Koongo only calls public servers",
    )


def test_the_simulators_are_reachable_only_through_the_development_setting(settings, merchant, shopify_sim):
    assert settings.ALLOW_PRIVATE_STORE_URLS is True  # DJANGO_ENV=test, as dev and the demo
    with merchant_scope(merchant):
        store = services.store_connection_create(merchant=merchant, platform="shopify", name="S", credentials=shopify_credentials(shopify_sim))
        assert services.store_connection_test(store_connection=store).last_test_ok is True
        settings.ALLOW_PRIVATE_STORE_URLS = False
        assert services.store_connection_test(store_connection=store).last_test_ok is False
