"""Tests for the Shopify simulator's own rules (cost cap, throttling, scopes, mandatory idempotency) and the demo server."""

import httpx
import pytest

from koongo.sandbox_kit import PrefixMount, serve, wsgi_transport
from platforms.errors import MissingScope
from platforms.sandbox import build_simulators, seed_catalog
from platforms.shopify import adapter as shopify_adapter
from platforms.shopify import queries
from platforms.shopify.adapter import ShopifyAdapter
from platforms.shopify.graphql import parse
from platforms.shopify.sandbox import DEMO_SHOP, DEMO_TOKEN, ShopifySandbox
from platforms.shopify.sandbox_graphql import requested_cost
from tests.platforms.contract.catalog import CATALOG

ADJUST = """mutation inventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) { userErrors { message } }
}"""


def _post(
    sandbox, document: str, variables: dict | None = None, version: str = "2026-04", token: str = DEMO_TOKEN
) -> httpx.Response:
    client = httpx.Client(transport=wsgi_transport(sandbox), base_url=f"https://{DEMO_SHOP}")
    return client.post(
        f"/admin/api/{version}/graphql.json",
        json={"query": document, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
    )


def test_every_adapter_query_fits_shopifys_single_query_cost_cap():
    page_sizes = {"PRODUCT_VARIANTS": shopify_adapter.CATALOG_PAGE, "INVENTORY_TARGETS": shopify_adapter.INVENTORY_PAGE}
    costs = {
        name: requested_cost(parse(getattr(queries, name)).selections, {"first": page_sizes.get(name)})
        for name in dir(queries)
        if name.isupper() and not name.endswith("FIELDS")
    }
    assert max(costs.values()) <= 1000, costs


def test_a_query_above_the_cap_is_refused():
    answer = _post(
        ShopifySandbox(), "{ productVariants(first: 250) { nodes { metafields(first: 50) { nodes { value } } } } }"
    ).json()
    assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert "data" not in answer


def test_inventory_adjustments_need_an_idempotency_key_from_2026_04():
    sandbox = ShopifySandbox()
    variables = {"input": {"name": "available", "reason": "correction", "changes": []}}
    refused = _post(sandbox, ADJUST, variables).json()
    allowed = _post(sandbox, ADJUST, variables, version="2026-01").json()
    assert refused["errors"][0]["message"] == "The @idempotent directive is required for this mutation."
    assert refused["data"] == {"inventoryAdjustQuantities": None}
    assert allowed["data"] == {"inventoryAdjustQuantities": {"userErrors": []}}


@pytest.mark.parametrize("status", [200, 429])
def test_a_spent_bucket_answers_throttled_in_the_configured_form(status):
    sandbox = ShopifySandbox()
    control = httpx.Client(transport=wsgi_transport(sandbox), base_url="http://sim")
    control.post(
        "/_sandbox/settings", json={"throttle_status": status, "capacity": 100.0, "restore_rate": 10.0}
    ).raise_for_status()
    answer = _post(sandbox, queries.PRODUCT_VARIANTS, {"first": 40})
    body = answer.json()
    assert answer.status_code == status
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 804
    if status == 429:
        assert int(answer.headers["Retry-After"]) == 71  # (804 - 100) / 10, rounded up


def test_a_token_without_a_scope_is_denied_that_field_and_the_connection_test_names_it():
    sandbox = ShopifySandbox()
    sandbox.add_shop("narrow.myshopify.com", token="shpat_narrow", scopes=frozenset({"read_products", "read_orders"}))
    adapter = ShopifyAdapter(
        {"shop_domain": "narrow.myshopify.com", "access_token": "shpat_narrow"}, transport=wsgi_transport(sandbox)
    )
    with pytest.raises(MissingScope) as raised:
        adapter.test_connection()
    assert raised.value.missing == ("read_locations", "write_inventory", "write_orders")


def test_the_demo_server_serves_shopify_under_its_prefix_on_loopback():
    simulators = build_simulators(seed=1)
    seed_catalog(simulators, CATALOG)
    server = serve(PrefixMount(simulators), port=0)
    try:
        base = f"http://127.0.0.1:{server.server_port}/shopify"
        credentials = httpx.get(f"{base}/_sandbox/credentials", params={"base_url": base}).json()
        adapter = ShopifyAdapter(credentials)
        assert adapter.credentials.graphql_url() == f"{base}/{DEMO_SHOP}/admin/api/2026-04/graphql.json"
        assert adapter.test_connection().name == "Koongo Demo Store"
        assert sorted(p.sku for p in adapter.iter_products()) == sorted(item["sku"] for item in CATALOG)
        stock = httpx.get(f"{base}/_sandbox/stock", params={"sku": "CAP-BLACK"}).json()
        assert stock == {"sku": "CAP-BLACK", "quantity": 5}
    finally:
        server.shutdown()
