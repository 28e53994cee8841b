"""What real stores do with the orders and look-ups we send: variant links, documented filters, stock claimed or not."""

import json

import pytest

from koongo.http import HttpError
from platforms import registry
from platforms.base import Capability
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.contract.harness import StoreHarness


def _seeded(code: str) -> StoreHarness:
    harness = StoreHarness.start(code)
    harness.app.seed_products(CATALOG)
    return harness


# --- BigCommerce: documented filters only ------------------------------------------------------------
@pytest.mark.parametrize(
    "params", [{"sku:in": "KNIT-NAVY-M"}, {"id:in": "1,2"}, {"product_id:in": "1"}, {"sku_like": "KNIT"}]
)
def test_the_bigcommerce_simulator_refuses_filters_get_all_variants_does_not_document(params):
    harness = _seeded("bigcommerce")
    with pytest.raises(HttpError) as refused:
        harness.adapter().client.get("/v3/catalog/variants", params)
    assert refused.value.status == 400
    answer = json.loads(refused.value.body)
    assert answer["title"] == f"Undocumented filter(s) on /v3/catalog/variants: {next(iter(params))}"
    assert harness.adapter().client.get("/v3/catalog/variants", {"sku": "KNIT-NAVY-M"})["data"][0]["sku"] == "KNIT-NAVY-M"


def test_bigcommerce_looks_variants_up_by_sku_and_by_id_through_documented_inventory_filters():
    harness = _seeded("bigcommerce")
    adapter = harness.adapter()
    by_sku = adapter.get_products(["KNIT-NAVY-M", "TEE-WHITE-L", "NOPE"], "sku")
    assert sorted(p.sku for p in by_sku) == ["KNIT-NAVY-M", "TEE-WHITE-L"]
    by_id = adapter.get_products([by_sku[0].variant_id], "id")
    assert [(p.sku, p.variant_id) for p in by_id] == [(by_sku[0].sku, by_sku[0].variant_id)]
    assert not [r for r in harness.app.requests if r["path"].endswith("/v3/catalog/variants")]
    inventory = [r["query"] for r in harness.app.requests if r["path"].endswith("/v3/inventory/items")]
    assert inventory[0].startswith("sku%3Ain=KNIT-NAVY-M%2CTEE-WHITE-L%2CNOPE")
    assert any(q.startswith(f"variant_id%3Ain={by_sku[0].variant_id}") for q in inventory)


# --- Shopware 5: positions linked by article number ---------------------------------------------------
def test_shopware_positions_carry_the_variant_number_and_the_unsettable_variant_id_is_stated():
    harness = _seeded("shopware5")
    adapter = harness.adapter()
    ref = adapter.create_order(make_draft("sw-link", harness.currency))
    details = harness.app.shop.order(int(ref.id))["details"]
    assert [(d["articleNumber"], d["articleDetailID"]) for d in details] == [("KNIT-NAVY-M", None), ("TEE-WHITE-M", None)]
    assert harness.app.stock_of("KNIT-NAVY-M") == 9  # stock still follows the article number
    assert any("articleDetailID" in text for text in adapter.limitations)


# --- Which platforms claim stock when an order is created ---------------------------------------------
@pytest.mark.parametrize("code", registry.PLATFORMS)
def test_a_created_order_lowers_the_sellable_stock_exactly_where_the_capability_says_so(code):
    harness = _seeded(code)
    adapter = harness.adapter()
    before = harness.app.stock_of("KNIT-NAVY-M")
    adapter.create_order(make_draft(f"{code}-claim", harness.currency))
    claimed = before - harness.app.stock_of("KNIT-NAVY-M")
    assert claimed == (1 if Capability.ORDER_CLAIMS_STOCK in adapter.capabilities else 0)


def test_magento_says_its_orders_reserve_no_salable_quantity():
    adapter_class = registry.adapter_class("magento2")
    assert Capability.ORDER_CLAIMS_STOCK not in adapter_class.capabilities
    assert any("no reservation" in text and "salable quantity" in text for text in adapter_class.limitations)


@pytest.mark.parametrize("code", ["bigcommerce", "magento2"])
def test_bigcommerce_and_magento_declare_their_limitations_like_the_other_adapters(code):
    limitations = registry.adapter_class(code).limitations
    assert len(limitations) >= 3 and all(isinstance(text, str) and text.endswith(".") for text in limitations)
    json.dumps(limitations)  # plain text, shown as such on the store page
