"""Fixtures for connection tests: the Miinto and Shopify simulators in-process, and ready-made connections."""

import pytest
from django.conf import settings

from connections import clients
from koongo.sandbox_kit import PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator

MIINTO_USER, MIINTO_PASSWORD = "shop@nordic.example", "miinto-pw-1"
DK_SHOP, SE_SHOP, CN_SHOP = "1-m!i!s-045-2001", "1-m!i!s-046-2002", "1-m!i!s-086-2003"


@pytest.fixture
def miinto_sim():
    """The Miinto simulator with one account in DK, SE and CN, wired into every Miinto client."""
    sim = MiintoSimulator(seed=3)
    sim.state.add_account(
        MIINTO_USER,
        MIINTO_PASSWORD,
        [
            {"market": "DK", "name": "Nordic Threads DK", "localId": 2001},
            {"market": "SE", "name": "Nordic Threads SE", "localId": 2002},
            {"market": "CN", "name": "Nordic Threads CN", "localId": 2003},
        ],
    )
    with clients.use_transport("miinto", wsgi_transport(sim)):
        yield sim


@pytest.fixture
def shopify_sim():
    """The Shopify simulator mounted as in the demo, wired into every Shopify adapter."""
    from platforms.shopify.sandbox import ShopifySandbox

    sim = ShopifySandbox(1)
    with clients.use_transport("shopify", wsgi_transport(PrefixMount({"shopify": sim}))):
        yield sim


def shopify_credentials(sim) -> dict:
    return sim.demo_credentials(base_url=f"{settings.STORE_SIMULATOR_URL}/shopify")


def shopify_api_credentials(sim) -> dict:
    """What an integrator sends: no `base_url`, which Koongo sets from SHOPIFY_API_BASE_URL (see `simulated_shopify_api`)."""
    return {k: v for k, v in shopify_credentials(sim).items() if k != "base_url"}


@pytest.fixture
def simulated_shopify_api(settings, shopify_sim):
    """Shopify stores created through the API point at the simulator, as the demo's settings make them."""
    settings.SHOPIFY_API_BASE_URL = settings.STORE_SIMULATOR_URL
    return shopify_sim


@pytest.fixture
def tested_store(merchant, shopify_sim):
    """A tested Shopify store connection of merchant A."""
    from connections import services
    from koongo.accounts.tenancy import merchant_scope

    with merchant_scope(merchant):
        store = services.store_connection_create(
            merchant=merchant, platform="shopify", name="Webshop", credentials=shopify_credentials(shopify_sim)
        )
        return services.store_connection_test(store_connection=store)


@pytest.fixture
def scoped(merchant):
    """Run the test body inside merchant A's scope, as views and tasks do."""
    from koongo.accounts.tenancy import merchant_scope

    with merchant_scope(merchant):
        yield merchant


@pytest.fixture
def connection(scoped, miinto_sim, tested_store):
    """An active DK connection of merchant A, linked to its tested Shopify store."""
    from connections import services

    return services.miinto_connection_create(
        merchant=scoped,
        environment="simulator",
        username=MIINTO_USER,
        password=MIINTO_PASSWORD,
        shop_id=DK_SHOP,
        store_connection=tested_store,
        activate=True,
    )
