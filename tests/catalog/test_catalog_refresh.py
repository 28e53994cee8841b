"""Catalog refresh: bulk pages with a constant number of queries each, removed products marked (never deleted), the
catalog flow against the Shopify and Miinto simulators (with the Product Map), and when the schedule runs the flows."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db
from django.utils import timezone

from catalog.flows import STORE_BUSY, catalog_refresh_due, stock_push_scheduled
from catalog.models import CatalogSettings, Product, ProductMapEntry
from catalog.product_map import NOT_MIGRATED, product_map_refresh
from catalog.selectors import product_map_for
from catalog.services import UPSERT_PAGE, catalog_refresh, item_group_id
from connections import clients, services
from connections.models import ActivityEntry, SyncRun
from connections.sync.runs import registered_flows, sync_request, sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from koongo.http import PermanentError
from platforms.values import StorePrice, StoreProduct
from tests.catalog.conftest import DK_SHOP, make_miinto_connection, make_store


class CatalogAdapter:
    """Just enough of an adapter for `catalog_refresh`: a fixed list of store products."""

    def __init__(self, products):
        self.products = products

    def iter_products(self, page_size=100):
        yield from self.products


def store_products(count: int, *, start: int = 0) -> list[StoreProduct]:
    price = StorePrice(amount=Decimal("99.95"), currency="DKK", tax_included=True, derivation="variant price")
    return [
        StoreProduct(product_id=f"gid://shopify/Product/{n // 3}", variant_id=f"gid://shopify/ProductVariant/{n}", sku=f"SKU-{n}",
                     gtin=f"57{n:011d}", identifiers={"id": str(n), "sku": f"SKU-{n}"}, title=f"Tee {n // 3}", brand="Nordic",
                     color="Washed blue", size=("S", "M", "L")[n % 3], category="Men > Tops", image_urls=("https://c.example.com/t.jpg",),
                     stock=n % 7, final_price=price, original_price=price)
        for n in range(start, start + count)
    ]  # fmt: skip


def _pages(count: int) -> int:
    return math.ceil(count / UPSERT_PAGE)


def _queries_per_page() -> int:
    """A page is the exported keys' read and one bulk upsert in a transaction; SQLite splits the insert by its parameter
    limit, PostgreSQL does not."""
    fields = [f for f in Product._meta.concrete_fields if not f.primary_key]
    inserts = math.ceil(UPSERT_PAGE / db.ops.bulk_batch_size(fields, [None] * UPSERT_PAGE))
    return 3 + inserts  # savepoint, key read, insert(s), release (the test runs inside a transaction)


def test_refreshing_5000_products_costs_a_constant_number_of_queries_per_page(merchant, django_assert_max_num_queries):
    store = make_store(merchant)
    with merchant_scope(merchant), django_assert_max_num_queries(_pages(5000) * _queries_per_page() + 3):
        seen, removed = catalog_refresh(store, CatalogAdapter(store_products(5000)))
    assert (seen, removed) == (5000, 0)
    with merchant_scope(merchant), django_assert_max_num_queries(_pages(5000) * _queries_per_page() + 3):
        catalog_refresh(store, CatalogAdapter(store_products(5000)))  # every row an update now: the same budget
    with merchant_scope(merchant):
        assert Product.objects.count() == 5000


def test_a_refresh_stores_clean_text_gender_tax_flag_and_a_group_per_colour(merchant):
    store = make_store(merchant)
    [item] = store_products(1, start=4)
    item = item.model_copy(update={"title": "Tee\t<b>bold</b>", "color": " Washed\nblue ", "category": "Women > Tops"})
    with merchant_scope(merchant):
        catalog_refresh(store, CatalogAdapter([item]))
        product = Product.objects.get()
    assert (product.title, product.color, product.gender, product.prices_include_tax) == ("Tee bold", "Washed blue", "F", True)
    assert (product.item_group_id, product.store_variant_id, product.identifier("id")) == ("1-washed-blue", "gid://shopify/ProductVariant/4", "4")
    assert item_group_id("12345", "") == "12345"


def test_products_gone_from_the_store_are_marked_not_deleted(merchant):
    store = make_store(merchant)
    three = store_products(3)
    with merchant_scope(merchant):
        catalog_refresh(store, CatalogAdapter(three))
        assert catalog_refresh(store, CatalogAdapter(three[:2])) == (2, 1)
        gone = Product.objects.get(store_variant_id=three[2].variant_id)
        assert gone.removed_at is not None and Product.objects.count() == 3
        catalog_refresh(store, CatalogAdapter(three))
        gone.refresh_from_db()
        assert gone.removed_at is None


def test_a_refresh_that_fails_midway_marks_nothing_removed(merchant):
    store = make_store(merchant)

    class Broken(CatalogAdapter):
        def iter_products(self, page_size=100):
            yield from self.products[:1]
            raise PermanentError("page 2 failed")

    with merchant_scope(merchant):
        catalog_refresh(store, CatalogAdapter(store_products(3)))
        with pytest.raises(PermanentError):
            catalog_refresh(store, Broken(store_products(3)))
        assert Product.objects.filter(removed_at__isnull=False).count() == 0


# --- the flows against the simulators ------------------------------------------------------------------------------------------


@pytest.fixture
def shopify_sim():
    from koongo.sandbox_kit import PrefixMount, wsgi_transport
    from platforms.shopify.sandbox import ShopifySandbox

    sim = ShopifySandbox(4)
    sim.seed_products([
        {"gtin": f"570123400{n:04d}", "sku": f"TEE-{n}", "title": "Organic tee", "brand": "Nordic", "color": "Black", "size": size,
         "price": "100.00", "stock": n, "group": "tee", "category": "Women > Tops", "image_url": "https://c.example.com/tee.jpg"}
        for n, size in enumerate(("S", "M", "L"))
    ])  # fmt: skip
    with clients.use_transport("shopify", wsgi_transport(PrefixMount({"shopify": sim}))):
        yield sim


@pytest.fixture
def shopify_connection(merchant, shopify_sim, miinto_sim):
    from tests.connections.conftest import shopify_credentials

    with merchant_scope(merchant):
        store = services.store_connection_create(merchant=merchant, platform="shopify", name="Shop", credentials=shopify_credentials(shopify_sim))
        services.store_connection_test(store_connection=store)
    return make_miinto_connection(merchant, store, attribute="sku")


def _catalog_run(connection) -> SyncRun:
    with merchant_scope(connection.merchant):
        run = sync_request(connection=connection, flow="catalog", trigger="button")
        sync_run_execute(run)
        return SyncRun.objects.get(pk=run.pk)


def test_the_catalog_flow_refreshes_the_store_and_the_product_map(merchant, miinto_sim, shopify_connection):
    miinto_sim.state.load_catalog(DK_SHOP, [
        {"gtin": "5701234000001", "sku": "TEE-1", "group": "tee", "brand": "Nordic", "color": "Black", "size": "M", "title": "Organic tee"},
    ])  # fmt: skip
    [item_id] = [item.miinto_item_id for item in miinto_sim.state.shops[DK_SHOP].catalog.values()]

    run = _catalog_run(shopify_connection)

    assert (run.status, run.seen) == ("succeeded", 3)
    with merchant_scope(merchant):
        assert list(SyncRun.objects.exclude(pk=run.pk).values_list("flow", "trigger", "status")) == [("stock", "button", "queued")]
        assert sorted(Product.objects.values_list("sku", "stock", "gender")) == [("TEE-0", 0, "F"), ("TEE-1", 1, "F"), ("TEE-2", 2, "F")]
        summary = ActivityEntry.objects.get(run=run, operation="catalog refresh")
        assert summary.payload == {"products": 3, "marked_removed": 0}
        assert ActivityEntry.objects.filter(run=run, direction="to_store").exists()
        assert ActivityEntry.objects.filter(run=run, direction="to_miinto", url__contains="productmaps").count() == 1
        assert product_map_for(shopify_connection) == {item_id: "TEE-1", "5701234000001": "TEE-1"}
        assert product_map_for(shopify_connection, keys=["5701234000001"]) == {item_id: "TEE-1", "5701234000001": "TEE-1"}
        assert product_map_for(shopify_connection, keys=["nothing"]) == {}
        assert CatalogSettings.objects.get(connection=shopify_connection).product_map_entries == 1


def test_a_shop_without_a_product_map_keeps_an_empty_copy_and_says_why(merchant, store):
    connection = make_miinto_connection(merchant, store)

    class NotMigrated:
        def product_map(self, shop_id):
            raise PermanentError("Miinto answered 404: not migrated to Product Centre", status=404)

    with merchant_scope(merchant):
        ProductMapEntry.objects.create(merchant=merchant, connection=connection, miinto_item_id="old", feed_id="x")
        assert product_map_refresh(connection=connection, client=NotMigrated()) == 0
        assert product_map_for(connection) == {}
        assert CatalogSettings.objects.get(connection=connection).product_map_note == NOT_MIGRATED


def test_two_refreshes_of_one_store_never_overlap(merchant, shopify_connection):
    with locks().hold(f"catalog-refresh:{shopify_connection.store_connection_id}", ttl=60) as ours:
        assert ours
        run = _catalog_run(shopify_connection)
    assert (run.status, run.error_summary, run.seen) == ("partial", STORE_BUSY, 0)


def test_both_flows_are_registered_with_their_schedules(merchant, store):
    connection = make_miinto_connection(merchant, store)
    flows = registered_flows()
    assert {"catalog", "stock"} <= set(flows)
    assert flows["catalog"].is_scheduled_for(connection) and flows["stock"].is_scheduled_for(connection)
    connection.last_synced = {"catalog": (timezone.now() - timedelta(minutes=30)).isoformat()}
    assert not catalog_refresh_due(connection)
    connection.last_synced = {"catalog": (timezone.now() - timedelta(minutes=61)).isoformat()}
    assert catalog_refresh_due(connection)
    connection.store_connection_id = None
    assert not catalog_refresh_due(connection) and not stock_push_scheduled(connection)


class WorkerKilled(BaseException):
    """What `kill -9` looks like from inside: nothing after it runs, no lock is released."""


def test_a_refresh_whose_worker_died_frees_the_store_within_a_couple_of_leases(merchant, shopify_connection, settings, monkeypatch):
    from connections.sync.runs import sync_runs_fail_stale

    settings.SYNC_RUN_LEASE_SECONDS = 1
    monkeypatch.setattr(locks().backend, "release", lambda key, token: None)  # a killed worker releases nothing

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr("catalog.flows.catalog_refresh", killed)
    with pytest.raises(WorkerKilled):
        _catalog_run(shopify_connection)
    monkeypatch.undo()
    settings.SYNC_RUN_LEASE_SECONDS = 1
    time.sleep(2.5)

    sync_runs_fail_stale()  # beat's tick: the dead run is failed and replaced
    with merchant_scope(merchant):
        replacement = SyncRun.objects.get(connection=shopify_connection, flow="catalog", status="queued")
        sync_run_execute(replacement)
        replacement.refresh_from_db()
    assert (replacement.status, replacement.error_summary) == ("succeeded", "")
