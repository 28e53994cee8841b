"""`make demo` as a tour: a store on each of the five platforms, each wired to its own Miinto shop (one in CN), one in
manual mode whose positions wait, one in Stock only."""

from contextlib import ExitStack

from connections import clients
from connections.demo import DEMO_SHOP_ID, demo_store_catalog, seed_demo_connections
from connections.models import MiintoConnection, StoreConnection
from connections.sync.runs import sync_request, sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator
from orders.models import Position
from platforms import registry


def test_the_demo_seeds_one_store_per_platform_each_on_its_own_miinto_shop(merchant, settings):
    settings.STORE_SIMULATOR_URL = "http://stores.demo.test"
    miinto = MiintoSimulator(seed=1, scenario="demo", transfers=60)  # as `make demo` runs it
    stores = {code: registry.sandbox_class(code)(1) for code in registry.codes()}
    catalog = [{**item, "image_url": f"https://images.example.com/{item['sku']}.jpg"} for item in demo_store_catalog()]
    for simulator in stores.values():
        simulator.seed_products(catalog)
    mount = wsgi_transport(PrefixMount(stores))
    with ExitStack() as stack:
        stack.enter_context(clients.use_transport("miinto", wsgi_transport(miinto)))
        for code in stores:
            stack.enter_context(clients.use_transport(code, mount))
        text = seed_demo_connections(merchant=merchant)
        seed_demo_connections(merchant=merchant)  # idempotent
        with merchant_scope(merchant):
            connections = {c.shop_id: c for c in MiintoConnection.objects.select_related("store_connection", "order_configuration")}
            manual = connections["1-m!i!s-046-1102"]
            run = sync_request(connection=manual, flow="orders", trigger="button")
            sync_run_execute(run)
            run.refresh_from_db()
            waiting = Position.objects.filter(connection=manual, status="pending").count()
    with merchant_scope(merchant):
        assert sorted(StoreConnection.objects.values_list("platform", flat=True)) == sorted(registry.codes())
        assert all(s.last_test_ok for s in StoreConnection.objects.all())
    platforms = {shop_id: (c.store_connection.platform, c.market, c.status) for shop_id, c in connections.items()}
    assert platforms == {
        DEMO_SHOP_ID: ("shopify", "DK", "active"),
        "1-m!i!s-046-1102": ("magento2", "SE", "active"),
        "1-m!i!s-047-1103": ("bigcommerce", "NO", "active"),
        "1-m!i!s-049-1104": ("prestashop", "DE", "active"),
        "1-m!i!s-086-1107": ("shopware5", "CN", "active"),
    }
    assert (run.status, run.error_summary, run.accepted, run.declined) == ("succeeded", "", 0, 0)
    assert manual.order_configuration.auto_accept is False and waiting > 0
    assert connections["1-m!i!s-047-1103"].order_configuration.sync_level == "stock_only"
    assert "tour: Demo Shopware 5 store (shopware5) → " in text
