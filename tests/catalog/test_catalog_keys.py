"""Catalog keys (issue 16): a product without variants is keyed apart from every variant, so PrestaShop's product 7 and
combination 7 are two rows; the store's variant id reads back from a row; the feed's `id` stays the store's own id; and
the data migration moves the rows written under the old key."""

from __future__ import annotations

import importlib
from decimal import Decimal

from django.apps import apps

from catalog.feed import feed_id_expression
from catalog.models import Product
from catalog.services import catalog_refresh
from connections.demo import demo_store_catalog
from connections.models import StoreConnection
from koongo.accounts.tenancy import merchant_scope
from platforms.values import StorePrice, StoreProduct
from tests.catalog.test_catalog_refresh import CatalogAdapter
from tests.platforms.contract.harness import StoreHarness

MIGRATION = importlib.import_module("catalog.migrations.0003_product_key_apart_from_variants")
PRICE = StorePrice(amount=Decimal("100.00"), currency="DKK", tax_included=True, derivation="price")


def _store(merchant, platform: str) -> StoreConnection:
    with merchant_scope(merchant):
        return StoreConnection.objects.create(
            merchant=merchant, platform=platform, name=f"{platform} shop", credentials={}, currency="DKK"
        )


def _item(product_id: str, variant_id: str | None, item_id: str) -> StoreProduct:
    """A store item; an empty `item_id` names no `id` identifier."""
    return StoreProduct(product_id=product_id, variant_id=variant_id, identifiers={"id": item_id} if item_id else {},
                        sku=f"SKU-{item_id or product_id}", title="Tee", final_price=PRICE, original_price=PRICE)  # fmt: skip


def test_a_product_without_variants_and_a_variant_of_the_same_id_are_two_rows(merchant):
    store = _store(merchant, "prestashop")
    # PrestaShop: product 7 has no combinations; combination 7 belongs to product 3, and combination 3 too (its own id).
    items = [_item("7", None, "7"), _item("3", "7", "3-7"), _item("3", "3", "3-3")]
    with merchant_scope(merchant):
        assert catalog_refresh(store, CatalogAdapter(items)) == (3, 0)
        assert catalog_refresh(store, CatalogAdapter(items)) == (3, 0)  # the same rows again, nothing added or removed
        rows = {p.identifier("id"): p for p in Product.objects.all()}
    assert sorted(rows) == ["3-3", "3-7", "7"]
    assert [(rows[i].store_product_id, rows[i].store_variant, rows[i].store_item_id) for i in ("7", "3-7", "3-3")] == [
        ("7", None, "7"),
        ("3", "7", "7"),
        ("3", "3", "3"),
    ]


def test_the_feed_id_of_an_item_is_the_stores_own_id_whatever_the_catalog_key(merchant):
    """An adapter naming no `id` identifier gets the store's id (variant, else product), in Python and in the feed's SQL."""
    store = _store(merchant, "magento2")
    with merchant_scope(merchant):
        catalog_refresh(store, CatalogAdapter([_item("41", None, ""), _item("42", "420", "")]))
        found = Product.objects.annotate(feed_id=feed_id_expression("id")).order_by("store_product_id")
        assert [(p.identifier("id"), p.feed_id) for p in found] == [("41", "41"), ("420", "420")]


def test_the_prestashop_demo_catalog_keeps_its_single_size_items(merchant):
    """The chaos benchmark's catalog: products 10 and 12 have no combinations, and combinations 10 and 12 exist too."""
    harness = StoreHarness.start("prestashop", seed=7)
    harness.app.seed_products(demo_store_catalog())
    store = _store(merchant, "prestashop")
    with merchant_scope(merchant):
        seen, _removed = catalog_refresh(store, harness.adapter())
        skus = set(Product.objects.values_list("sku", flat=True))
        single = Product.objects.get(sku="SA-4003-COG-ONESIZE")
    assert (seen, len(skus)) == (44, 44)
    assert {"SA-4003-COG-ONESIZE", "BR-5002-RST-ONESIZE"} <= skus
    assert (single.identifier("id"), single.store_variant) == (single.store_product_id, None)


def _row(store, product_id: str, key: str, item_id: str) -> Product:
    return Product.objects.create(merchant=store.merchant, store_connection=store, store_product_id=product_id, store_variant_id=key,
                                  identifiers={"id": item_id}, title="Tee")  # fmt: skip


def test_the_migration_moves_only_the_rows_written_without_a_variant_and_moves_them_back(merchant):
    prestashop, magento, shopware = (_store(merchant, code) for code in ("prestashop", "magento2", "shopware5"))
    with merchant_scope(merchant):
        # Keyed the old way: PrestaShop product 7, combination 3 of product 3 and combination 10 of product 3, which
        # took the key of product 10 (the collision); a Magento product; Shopware's article 1 with its detail 1.
        rows = [_row(prestashop, "7", "7", "7"), _row(prestashop, "3", "3", "3-3"), _row(prestashop, "3", "10", "3-10"),
                _row(magento, "5", "5", "5"), _row(shopware, "1", "1", "1")]  # fmt: skip
        MIGRATION.key_products_apart(apps, None)
        assert [Product.objects.get(pk=r.pk).store_variant_id for r in rows] == ["product:7", "3", "10", "product:5", "1"]
        # The next refresh finds the moved product under its new key and writes product 10 as a row of its own.
        catalog_refresh(prestashop, CatalogAdapter([_item("7", None, "7"), _item("3", "3", "3-3"), _item("3", "10", "3-10"),
                                                    _item("10", None, "10")]))  # fmt: skip
        assert Product.objects.filter(store_connection=prestashop).count() == 4
        # Back: every moved row takes its product id again, except product 10, whose old key a combination holds.
        MIGRATION.key_products_by_id(apps, None)
        keys = sorted(Product.objects.filter(store_connection=prestashop).values_list("store_variant_id", flat=True))
        assert keys == ["10", "3", "7", "product:10"]
        assert Product.objects.get(pk=rows[3].pk).store_variant_id == "5"
