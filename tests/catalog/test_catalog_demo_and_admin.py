"""The demo hook (catalog filled from the store simulator, a served feed, stock reaching the Miinto simulator) and the
admin pages across merchants, with the feed's secrets kept out of them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from catalog.demo import seed_demo_catalog
from catalog.models import CatalogSettings, ProductListing
from connections import clients
from connections.demo import DEMO_SHOP_ID, demo_store_catalog, seed_demo_connections
from connections.models import MiintoConnection, SyncRun
from connections.sync.runs import sync_request, sync_run_execute
from koongo.accounts.management.commands.seed_demo import demo_seeded
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator
from miinto.sandbox.demo import DEMO_CATALOG
from tests.catalog.conftest import make_product, pull


def test_the_demo_hook_fills_the_catalog_serves_the_feed_and_stock_reaches_miinto(merchant, client):
    from platforms.shopify.sandbox import ShopifySandbox

    miinto = MiintoSimulator(seed=1, scenario="demo")
    shopify = ShopifySandbox(1)
    shopify.seed_products([{**item, "image_url": f"https://images.example.com/{item['sku']}.jpg"} for item in demo_store_catalog()])
    from contextlib import ExitStack

    from platforms import registry

    # The demo tour also wires a store on each other platform: their simulators answer too.
    others = {code: registry.sandbox_class(code)(1) for code in registry.codes() if code != "shopify"}
    with ExitStack() as stack:
        for code in others:
            stack.enter_context(clients.use_transport(code, wsgi_transport(PrefixMount(others))))
        stack.enter_context(clients.use_transport("miinto", wsgi_transport(miinto)))
        stack.enter_context(clients.use_transport("shopify", wsgi_transport(PrefixMount({"shopify": shopify}))))
        results = dict(demo_seeded.send(sender=None, merchant=merchant))
        with merchant_scope(merchant):
            connection = MiintoConnection.objects.get(shop_id=DEMO_SHOP_ID)
        assert results[seed_demo_connections].startswith("demo store Demo Shopify store; Miinto connection")
        text = results[seed_demo_catalog]
        with merchant_scope(merchant):
            run = sync_request(connection=connection, flow="stock", trigger="admin")
            sync_run_execute(run)
            run = SyncRun.objects.get(pk=run.pk)
            in_feed = ProductListing.objects.filter(connection=connection, in_feed=True).count()
            priced = ProductListing.objects.filter(connection=connection, exported_price_at__isnull=False).count()

    assert text.startswith(f"catalog: {len(DEMO_CATALOG)} products from Demo Shopify store (shopify); the feed served {len(DEMO_CATALOG)} row(s)\n")
    dk_block = text.split("\ncatalog:")[0]  # the tour's other stores follow, each with a feed of its own
    lines = {name.strip(): value.strip() for name, value in (line.split(":", 1) for line in dk_block.splitlines()[1:])}
    assert lines["Feed URL"].endswith(".tsv") and lines["Password"].endswith("(shown once)")
    assert in_feed == priced == len(DEMO_CATALOG)
    assert (run.status, run.pushed, run.failed) == ("succeeded", len(DEMO_CATALOG), 0)
    assert miinto.state.shops[DEMO_SHOP_ID].stock[("NT-1001", "Nordlys", "Camel", "S")] == DEMO_CATALOG[0]["stock"]
    from catalog.feed_access import FeedCredentials

    password = lines["Password"].removesuffix("  (shown once)")
    served = pull(client, FeedCredentials(url=lines["Feed URL"], username=lines["Feed user"], password=password))
    assert served.status_code == 200 and served.body.count(b"\n") == len(DEMO_CATALOG) + 1


def test_the_admin_lists_catalog_rows_across_merchants_without_feed_secrets(client, merchant, other_merchant, store, connection, credentials):
    from tests.catalog.conftest import make_miinto_connection, make_store

    product = make_product(store)
    make_product(make_store(other_merchant), title="Theirs")
    make_miinto_connection(other_merchant, make_store(other_merchant, name="B2"), shop_id="1-m!i!s-045-7777")
    pull(client, credentials)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    for url in ("/admin/catalog/product/", "/admin/catalog/productlisting/", "/admin/catalog/priceexport/",
                "/admin/catalog/catalogsettings/", "/admin/catalog/productmapentry/", f"/admin/catalog/product/{product.pk}/change/"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    assert "Theirs" in client.get("/admin/catalog/product/").content.decode()
    with scopes_disabled():
        catalog_settings = CatalogSettings.objects.get(connection=connection)
    page = client.get(f"/admin/catalog/catalogsettings/{catalog_settings.pk}/change/").content.decode()
    assert catalog_settings.feed_token not in page and catalog_settings.feed_password_hash not in page
    response = client.post("/admin/catalog/catalogsettings/", {"action": "queue_stock", "_selected_action": [catalog_settings.pk]}, follow=True)
    assert "Stock push queued for 1 connection(s)." in response.content.decode()
    with scopes_disabled():
        assert list(SyncRun.objects.values_list("flow", "trigger")) == [("stock", "admin")]
