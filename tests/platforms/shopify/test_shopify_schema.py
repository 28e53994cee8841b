"""The Shopify simulator validates documents and variables against the trimmed Admin schema, as Shopify does."""

import copy

import httpx
import pytest
from graphql import parse, validate

from koongo.sandbox_kit import wsgi_transport
from platforms.shopify import mapping, queries
from platforms.shopify.adapter import ShopifyAdapter
from platforms.shopify.sandbox import DEMO_SHOP, DEMO_TOKEN, ShopifySandbox
from platforms.shopify.sandbox_schema import admin_schema
from tests.platforms.contract.catalog import CATALOG, make_draft

DOCUMENTS = {name: getattr(queries, name) for name in dir(queries) if name.isupper() and not name.endswith("FIELDS")}


@pytest.fixture
def sandbox():
    sandbox = ShopifySandbox(1)
    sandbox.seed_products(CATALOG)
    return sandbox


@pytest.fixture
def order_variables(sandbox) -> dict:
    """What the adapter sends for a Miinto order: valid, so each test below breaks one thing in it."""
    adapter = ShopifyAdapter(sandbox.demo_credentials(), transport=wsgi_transport(sandbox))
    products = {product.sku: product for product in adapter.iter_products()}
    return mapping.order_create_variables(make_draft("schema-1", "DKK"), products)


def _post(sandbox, document: str, variables: dict) -> dict:
    client = httpx.Client(transport=wsgi_transport(sandbox), base_url=f"https://{DEMO_SHOP}")
    response = client.post(
        "/admin/api/2026-04/graphql.json",
        json={"query": document, "variables": variables},
        headers={"X-Shopify-Access-Token": DEMO_TOKEN},
    )
    assert response.status_code == 200
    return response.json()


def _create(sandbox, variables: dict) -> dict:
    return _post(sandbox, queries.ORDER_CREATE, variables)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_adapter_document_validates_against_the_pinned_schema(name):
    assert validate(admin_schema(), parse(DOCUMENTS[name])) == []


def test_the_adapters_order_variables_are_accepted(sandbox, order_variables):
    answer = _create(sandbox, order_variables)
    assert "errors" not in answer and answer["data"]["orderCreate"]["userErrors"] == []
    assert [o["reference"] for o in sandbox.orders_summary()] == ["schema-1"]


def _refusal(answer: dict) -> tuple[str, list]:
    """The one error of a refused request: its code and the problems as (path, explanation)."""
    assert "data" not in answer
    [error] = answer["errors"]
    return error["extensions"]["code"], [(p["path"], p["explanation"]) for p in error["extensions"]["problems"]]


@pytest.mark.parametrize(
    "breakage,path",
    [
        (lambda v: v["order"]["shippingLines"][0].pop("title"), ["shippingLines", 0, "title"]),
        (lambda v: v["order"]["shippingLines"][0].pop("priceSet"), ["shippingLines", 0, "priceSet"]),
        (lambda v: v["order"]["lineItems"][0].pop("quantity"), ["lineItems", 0, "quantity"]),
        (lambda v: v["order"]["transactions"][0].pop("amountSet"), ["transactions", 0, "amountSet"]),
        (lambda v: v["order"]["lineItems"][0]["priceSet"]["shopMoney"].pop("currencyCode"), ["lineItems", 0, "priceSet", "shopMoney", "currencyCode"]),
    ],
    ids=["shipping-title", "shipping-price", "line-quantity", "transaction-amount", "money-currency"],
)
def test_a_missing_required_input_field_is_refused_and_nothing_is_created(sandbox, order_variables, breakage, path):
    broken = copy.deepcopy(order_variables)
    breakage(broken)
    answer = _create(sandbox, broken)
    assert _refusal(answer) == ("INVALID_VARIABLE", [(path, "Expected value to not be null")])
    assert answer["errors"][0]["message"].startswith("Variable $order of type OrderCreateOrderInput! was provided invalid value")
    assert sandbox.orders_summary() == []


@pytest.mark.parametrize(
    "breakage,path,type_name",
    [
        (lambda v: v["order"]["lineItems"][0].update(price="10.00"), ["lineItems", 0, "price"], "OrderCreateLineItemInput"),
        (lambda v: v["order"]["shippingAddress"].update(country="Denmark"), ["shippingAddress", "country"], "MailingAddressInput"),
        (lambda v: v["options"].update(inventoryPolicy="IGNORE"), ["inventoryPolicy"], "OrderCreateOptionsInput"),
    ],
    ids=["line-price", "address-country", "options-policy"],
)
def test_an_unknown_input_field_is_refused(sandbox, order_variables, breakage, path, type_name):
    broken = copy.deepcopy(order_variables)
    breakage(broken)
    assert _refusal(_create(sandbox, broken)) == ("INVALID_VARIABLE", [(path, f"Field is not defined on {type_name}")])
    assert sandbox.orders_summary() == []


@pytest.mark.parametrize(
    "breakage,path,enum",
    [
        (lambda v: v["options"].update(inventoryBehaviour="DECREMENT"), ["inventoryBehaviour"], "OrderCreateInputsInventoryBehavior"),
        (lambda v: v["order"].update(financialStatus="paid"), ["financialStatus"], "OrderCreateFinancialStatus"),
        (lambda v: v["order"].update(currency="XYZ"), ["currency"], "CurrencyCode"),
        (lambda v: v["order"]["transactions"][0].update(kind="PAYMENT"), ["transactions", 0, "kind"], "OrderTransactionKind"),
        (lambda v: v["order"]["shippingAddress"].update(countryCode="XX"), ["shippingAddress", "countryCode"], "CountryCode"),
    ],
    ids=["inventory-behaviour", "financial-status-case", "currency", "transaction-kind", "country"],
)
def test_a_wrong_enum_value_is_refused(sandbox, order_variables, breakage, path, enum):
    broken = copy.deepcopy(order_variables)
    breakage(broken)
    code, [(where, explanation)] = _refusal(_create(sandbox, broken))
    assert (code, where) == ("INVALID_VARIABLE", path)
    assert f"does not exist in '{enum}' enum" in explanation
    assert sandbox.orders_summary() == []


def test_a_missing_required_variable_is_refused(sandbox):
    assert _refusal(_post(sandbox, queries.ORDER_CREATE, {})) == ("INVALID_VARIABLE", [([], "Expected value to not be null")])


def test_a_wrong_enum_literal_or_unknown_field_in_the_document_fails_validation(sandbox):
    answer = _post(sandbox, "query { orders(first: 5, sortKey: NEWEST) { nodes { id totalWeight } } }", {})
    assert "data" not in answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["GRAPHQL_VALIDATION_FAILED"] * 2
    assert [e["locations"][0]["line"] for e in answer["errors"]] == [1, 1]


def test_a_refund_transaction_without_its_gateway_is_refused(sandbox):
    variables = {
        "input": {
            "orderId": "gid://shopify/Order/1",
            "transactions": [{"orderId": "gid://shopify/Order/1", "kind": "REFUND", "amount": "10.00", "gateway": None}],
        },
        "idempotencyKey": "rma-1",
    }
    code, [(path, _)] = _refusal(_post(sandbox, queries.REFUND_CREATE, variables))
    assert (code, path) == ("INVALID_VARIABLE", ["transactions", 0, "gateway"])
