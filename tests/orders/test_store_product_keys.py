"""Orders for items the catalog keys apart (issue 16): a PrestaShop product without combinations reaches the store with no
combination, and a combination whose id equals its product's id carries that combination, in the store and in the
catalog's own copy of the product that a push hands the adapter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.services import product_from_store
from connections.demo import demo_store_catalog
from connections.models import StoreConnection
from koongo.accounts.tenancy import merchant_scope
from orders.pushes import known_store_product
from platforms.values import StoreProduct
from tests.rma.conftest import build_world

DEMO = {item["sku"]: {**item, "stock": 5} for item in demo_store_catalog()}  # in stock: the demo sells the one-size bag out
ONE_SIZE = "SA-4003-COG-ONESIZE"  # product 10 of the seeded simulator, no combinations; combination 10 exists too
SAME_ID = "NT-1001-CAM-S"  # combination 1 of product 1


@pytest.fixture
def demo_world(merchant):
    yield from build_world(merchant, "prestashop", catalog=list(DEMO.values()))


def _sell(world, sku: str):
    item = DEMO[sku]
    order = world.sell((item["gtin"], int(Decimal(item["price"]) * 100), 1))
    [row] = world.store.tables["orders"].get(int(order.store_order_id))["associations"]["order_rows"]
    return order, (int(row["product_id"]), int(row["product_attribute_id"]), row["product_reference"])


def test_an_order_for_a_product_without_combinations_reaches_the_store_with_no_combination(demo_world):
    with merchant_scope(demo_world.merchant):
        product = Product.objects.get(sku=ONE_SIZE)
    order, row = _sell(demo_world, ONE_SIZE)
    assert order.lines.get().product_id == product.pk
    assert row == (int(product.store_product_id), 0, ONE_SIZE)


def test_an_order_for_a_combination_with_its_products_id_carries_the_combination(demo_world):
    _order, row = _sell(demo_world, SAME_ID)
    assert row == (1, 1, SAME_ID)


@pytest.mark.parametrize(
    ("product_id", "variant_id", "expected"),
    [("3", "3", "3"), ("7", None, None), ("gid://shopify/Product/1", "gid://v/9", "gid://v/9")],
)
def test_the_store_product_a_push_hands_the_adapter_names_the_variant_exactly(merchant, product_id, variant_id, expected):
    """A variant whose id equals its product's (PrestaShop combination 3 of product 3, Shopware detail 1 of article 1)
    is still that variant; only a product without variants has none."""
    item = StoreProduct(product_id=product_id, variant_id=variant_id, identifiers={"id": "x"}, sku="S-1", title="Tee")
    store = StoreConnection(merchant=merchant, platform="prestashop")  # unsaved: the row is only built, as a push reads it
    known = known_store_product(product_from_store(store, item, None), "id")
    assert (known.product_id, known.variant_id) == (product_id, expected)
