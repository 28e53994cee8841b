"""Pinned requests of every Shopify adapter method (URL, headers, operation, variables), answered by docs-shaped fixtures."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from koongo.http import PermanentError
from platforms.base import (
    Attribute,
    AttributeKind,
    MissingScope,
    Money,
    RefundLine,
    RefundRequest,
    ShipmentLine,
    ShopInfo,
    StockChange,
    StockOutcome,
    StockResult,
    StoreOrderRef,
    StorePrice,
    StoreProduct,
    StoreRefund,
    StoreShipment,
    Tracking,
    WebhookKind,
)
from platforms.shopify.webhooks import sign
from tests.platforms.contract.catalog import make_draft
from tests.platforms.shopify.conftest import ENDPOINT, SECRET, TOKEN, fixture

ORDER = StoreOrderRef(id="gid://shopify/Order/148977776", reference="miinto-7", name="#1001")
DKK_PRICE = {"currency": "DKK", "tax_included": True}


def test_every_call_posts_to_the_pinned_endpoint_with_the_token(shop, adapter):
    shop.on("shopFacts", "shop_facts")
    adapter.test_connection()
    [call] = shop.calls
    assert str(call.request.url) == ENDPOINT
    assert (call.request.headers["X-Shopify-Access-Token"], call.request.headers["Content-Type"]) == (TOKEN, "application/json")
    assert (call.operation.kind, call.operation.fields, call.variables) == ("query", ["shop", "currentAppInstallation"], {})


def test_connection_reports_the_shop_and_its_granted_scopes(shop, adapter):
    shop.on("shopFacts", "shop_facts")
    assert adapter.test_connection() == ShopInfo(
        name="Acme Nordic",
        currency="DKK",
        prices_include_tax=True,
        platform_version="2026-04",
        scopes=frozenset(
            {
                "write_orders",
                "read_orders",
                "read_products",
                "write_inventory",
                "read_inventory",
                "read_locations",
                "read_all_orders",
            }
        ),
    )


def test_connection_names_the_missing_scopes(shop, adapter):
    facts = fixture("shop_facts")
    facts["data"]["currentAppInstallation"]["accessScopes"] = [{"handle": "read_orders"}, {"handle": "read_products"}]
    shop.answers["shopFacts"] = [httpx.Response(200, json=facts)]
    with pytest.raises(MissingScope) as raised:
        adapter.test_connection()
    assert raised.value.missing == ("read_locations", "write_inventory", "write_orders")
    assert str(raised.value) == "Shopify credentials lack the permissions: read_locations, write_inventory, write_orders"


def test_identifier_attributes_add_variant_metafield_definitions(shop, adapter):
    shop.on("metafieldDefinitions", "metafield_definitions")
    assert adapter.identifier_attributes() == [
        Attribute(code="id", label="Variant ID", kind=AttributeKind.ID),
        Attribute(code="sku", label="SKU", kind=AttributeKind.SKU),
        Attribute(code="gtin", label="Barcode (GTIN, EAN, UPC)", kind=AttributeKind.GTIN),
        Attribute(code="metafield:custom.style_code", label="Metafield: Style code", kind=AttributeKind.CUSTOM),
    ]
    assert shop.call("metafieldDefinitions").operation.selections[0].arguments["ownerType"].name == "PRODUCTVARIANT"


def test_the_catalog_is_read_in_pages_and_mapped_to_store_products(shop, adapter):
    shop.on("productVariants", "product_variants")
    products = list(adapter.iter_products(page_size=500))
    assert shop.call("productVariants").variables == {"first": 40, "after": None, "query": None}
    assert products[0] == StoreProduct(
        product_id="gid://shopify/Product/108828309",
        variant_id="gid://shopify/ProductVariant/43729076",
        sku="KNIT-NAVY-S",
        gtin="5712345000014",
        identifiers={"id": "43729076", "sku": "KNIT-NAVY-S", "gtin": "5712345000014", "metafield:custom.style_code": "NK-100"},
        title="Cable Knit Jumper",
        brand="Nordkyst",
        color="Navy",
        size="S",
        category="Sweaters",
        image_urls=(
            "https://cdn.shopify.com/s/files/1/0533/2089/files/knit-navy-front.jpg",
            "https://cdn.shopify.com/s/files/1/0533/2089/files/knit-navy.jpg",
        ),
        stock=10,
        final_price=StorePrice(
            amount=Decimal("100.00"), **DKK_PRICE, derivation="variant price; the shop enters prices with tax"
        ),
        original_price=StorePrice(
            amount=Decimal("125.00"), **DKK_PRICE, derivation="variant compare-at price; the shop enters prices with tax"
        ),
    )
    second = products[1]
    assert (second.color, second.size, second.category, second.image_urls, second.stock) == ("Navy", "M", "Knitwear", (), 0)
    assert second.original_price == second.final_price


def test_a_second_page_is_requested_with_the_end_cursor(shop, adapter):
    first = fixture("product_variants")
    first["data"]["productVariants"]["pageInfo"]["hasNextPage"] = True
    shop.answers["productVariants"] = [httpx.Response(200, json=first)]
    shop.on("productVariants", "product_variants")
    assert len(list(adapter.iter_products(page_size=2))) == 4
    assert [call.variables["after"] for call in shop.calls] == [
        None,
        "eyJsYXN0X2lkIjo0MzcyOTA3NywibGFzdF92YWx1ZSI6IjQzNzI5MDc3In0=",
    ]
    assert shop.calls[0].variables["first"] == 2


@pytest.mark.parametrize(
    "attribute,values,query",
    [
        ("sku", ["KNIT-NAVY-S"], 'sku:"KNIT-NAVY-S"'),
        ("gtin", ["5712345000014"], 'barcode:"5712345000014"'),
        ("id", ["43729076"], "id:43729076"),
    ],
)
def test_lookup_searches_the_right_field_and_keeps_exact_matches_only(shop, adapter, attribute, values, query):
    shop.on("productVariants", "product_variants")
    found = adapter.get_products(values, attribute)
    assert shop.call("productVariants").variables == {"first": 40, "after": None, "query": query}
    assert [product.sku for product in found] == ["KNIT-NAVY-S"]


def test_lookup_batches_at_most_250_identifiers_per_query(shop, adapter):
    shop.on("productVariants", "product_variants", "product_variants")
    adapter.get_products([f"SKU-{n}" for n in range(251)], "sku")
    first, second = (call.variables["query"] for call in shop.calls)
    assert (first.count(" OR ") + 1, second) == (250, 'sku:"SKU-250"')


def test_create_order_looks_up_the_reference_then_creates_with_marketplace_prices(shop, adapter):
    shop.on("ordersBySourceIdentifier", "orders_by_source_identifier_empty").on("productVariants", "product_variants")
    shop.on("orderCreate", "order_create")
    draft = make_draft("miinto-7", "DKK", lines=(("KNIT-NAVY-S", 1, "90.00"), ("KNIT-NAVY-M", 2, "80.00")))
    assert adapter.create_order(draft) == ORDER
    assert shop.operations() == ["ordersBySourceIdentifier", "productVariants", "orderCreate"]
    assert shop.call("ordersBySourceIdentifier").variables == {"query": 'source_identifier:"miinto-7"'}
    address = {
        "firstName": "Karen",
        "lastName": "Blixen",
        "address1": "Strandvejen 111",
        "zip": "2960",
        "city": "Rungsted Kyst",
        "countryCode": "DK",
        "phone": "+4512345678",
    }
    assert shop.call("orderCreate").variables == {
        "order": {
            "currency": "DKK",
            "lineItems": [
                {
                    "variantId": "gid://shopify/ProductVariant/43729076",
                    "quantity": 1,
                    "priceSet": {"shopMoney": {"amount": "90.00", "currencyCode": "DKK"}},
                    "requiresShipping": True,
                },
                {
                    "variantId": "gid://shopify/ProductVariant/43729077",
                    "quantity": 2,
                    "priceSet": {"shopMoney": {"amount": "80.00", "currencyCode": "DKK"}},
                    "requiresShipping": True,
                },
            ],
            "billingAddress": address,
            "shippingAddress": address,
            "shippingLines": [{"title": "Miinto Standard", "priceSet": {"shopMoney": {"amount": "0", "currencyCode": "DKK"}}}],
            "financialStatus": "PAID",
            "transactions": [
                {
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": "Miinto",
                    "amountSet": {"shopMoney": {"amount": "250.00", "currencyCode": "DKK"}},
                }
            ],
            "taxesIncluded": True,
            "sourceIdentifier": "miinto-7",
            "note": "Miinto order 1-m!i!s-045-1234",
            "tags": ["Miinto"],
            "email": "karen@example.com",
            "phone": "+4512345678",
            "customAttributes": [{"key": "Miinto order", "value": "miinto-miinto-7"}],
        },
        "options": {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY", "sendReceipt": False, "sendFulfillmentReceipt": False},
    }


def test_create_order_returns_the_existing_order_without_creating(shop, adapter):
    shop.on("ordersBySourceIdentifier", "orders_by_source_identifier")
    assert adapter.create_order(make_draft("miinto-7", "DKK")) == ORDER
    assert shop.operations() == ["ordersBySourceIdentifier"]


def test_create_order_user_errors_become_a_permanent_error(shop, adapter):
    shop.on("ordersBySourceIdentifier", "orders_by_source_identifier_empty").on("productVariants", "product_variants")
    shop.on("orderCreate", "order_create_user_error")
    with pytest.raises(
        PermanentError, match=r"Shopify refused order miinto-7: order\.lineItems\.0\.variantId: Variant not found"
    ):
        adapter.create_order(make_draft("miinto-7", "DKK", lines=(("KNIT-NAVY-S", 1, "90.00"),)))


def test_a_note_is_read_then_written_back_whole_with_the_line_appended(shop, adapter):
    shop.on("orderNote", "order_note").on("orderUpdate", "order_update")
    assert adapter.update_order_note(ORDER, "Miinto labels: https://koongo.example/l/3f9a1c") is True
    assert shop.call("orderNote").variables == {"id": ORDER.id}
    assert shop.call("orderUpdate").variables == {
        "input": {"id": ORDER.id, "note": "Miinto order 1-m!i!s-045-1234\nMiinto labels: https://koongo.example/l/3f9a1c"}
    }


def test_a_note_already_present_is_not_written_again(shop, adapter):
    shop.on("orderNote", "order_note")
    assert adapter.update_order_note(ORDER, "1-m!i!s-045-1234") is False
    assert shop.operations() == ["orderNote"]


def test_a_stock_change_is_one_idempotent_adjustment_of_the_available_quantity(shop, adapter):
    shop.on("inventoryTargets", "inventory_targets").on("inventoryAdjustQuantities", "inventory_adjust_quantities")
    result = adapter.adjust_stock([StockChange(key="sale-1", sku="KNIT-NAVY-S", delta=-2)])
    assert result == [StockResult(key="sale-1", sku="KNIT-NAVY-S", outcome=StockOutcome.APPLIED, quantity=8)]
    assert shop.call("inventoryTargets").variables == {"first": 50, "after": None, "query": 'sku:"KNIT-NAVY-S"'}
    adjust = shop.call("inventoryAdjustQuantities")
    assert adjust.variables == {
        "input": {
            "reason": "correction",
            "name": "available",
            "referenceDocumentUri": "koongo://stock-change/sale-1",
            "changes": [
                {
                    "inventoryItemId": "gid://shopify/InventoryItem/30322695",
                    "locationId": "gid://shopify/Location/124656943",
                    "delta": -2,
                    "changeFromQuantity": None,
                }
            ],
        },
        "idempotencyKey": "sale-1",
    }
    directive = adjust.operation.selections[0].directive("idempotent")
    assert directive.arguments["key"].name == "idempotencyKey"


def test_missing_inventory_scope_fails_the_change_and_names_the_scope(shop, adapter):
    shop.on("inventoryTargets", "inventory_targets").on("inventoryAdjustQuantities", "access_denied")
    [result] = adapter.adjust_stock([StockChange(key="sale-2", sku="KNIT-NAVY-S", delta=-1)])
    assert (result.outcome, result.retryable, result.error) == (
        StockOutcome.FAILED,
        False,
        "Shopify credentials lack the permissions: write_inventory",
    )


def test_shipments_read_fulfillments_of_our_orders_updated_since_the_window(shop, adapter):
    shop.on("ordersUpdatedSince", "orders_updated_since").on("orderFulfillments", "order_fulfillments")
    shipments = adapter.shipments_since(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert shop.call("ordersUpdatedSince").variables == {"query": "updated_at:>='2026-03-02T09:50:00Z'", "after": None}
    assert shop.call("orderFulfillments").variables == {"id": ORDER.id}
    assert shipments == [
        StoreShipment(
            shipment_id="gid://shopify/Fulfillment/255858046",
            order=ORDER,
            carrier="DHL Express",
            tracking_number="00340434161234567890",
            tracking_url="https://www.dhl.com/en/express/tracking.html?AWB=00340434161234567890",
            additional_tracking=(Tracking(carrier="DHL Express", number="00340434161234567891"),),
            lines=(ShipmentLine(sku="KNIT-NAVY-M", quantity=1, line_id="gid://shopify/LineItem/466157049"),),
            created_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            updated_at=datetime(2026, 3, 2, 10, 5, tzinfo=UTC),
        )
    ]


def test_refunds_since_report_store_and_our_refunds_after_the_window_start(shop, adapter):
    shop.on("ordersUpdatedSince", "orders_updated_since").on("orderRefunds", "order_refunds")
    refunds = adapter.refunds_since(datetime(2026, 3, 4, 8, 30, tzinfo=UTC))
    assert refunds == [
        StoreRefund(
            refund_id="gid://shopify/Refund/929361463",
            order=ORDER,
            lines=(
                RefundLine(sku="TEE-WHITE-M", line_id="gid://shopify/LineItem/466157050", quantity=1, amount=Decimal("22.50")),
            ),
            total=Money(amount=Decimal("22.50"), currency="DKK"),
            created_at=datetime(2026, 3, 4, 8, 30, tzinfo=UTC),
            origin_key="rma-41",
            note="RMA accepted: wrong size [koongo:rma-41]",
        )
    ]


def test_create_refund_uses_the_suggested_amounts_and_an_idempotency_key(shop, adapter):
    shop.on("orderRefunds", "order_refunds").on("orderLines", "order_lines").on("primaryLocation", "locations")
    shop.on("suggestedRefund", "suggested_refund").on("refundCreate", "refund_create")
    request = RefundRequest(
        key="rma-42",
        order=ORDER,
        lines=(RefundLine(sku="KNIT-NAVY-M", quantity=1, amount=Decimal("90.00")),),
        shipping_amount=Decimal("39.00"),
        currency="DKK",
        reason="RMA accepted: damaged",
        restock=True,
    )
    result = adapter.create_refund(request)
    assert shop.operations() == ["orderRefunds", "orderLines", "primaryLocation", "suggestedRefund", "refundCreate"]
    line = {
        "lineItemId": "gid://shopify/LineItem/466157049",
        "quantity": 1,
        "restockType": "RETURN",
        "locationId": "gid://shopify/Location/124656943",
    }
    assert shop.call("suggestedRefund").variables == {"id": ORDER.id, "refundLineItems": [line], "shippingAmount": "39.00"}
    assert shop.call("refundCreate").variables == {
        "input": {
            "orderId": ORDER.id,
            "note": "RMA accepted: damaged [koongo:rma-42]",
            "notify": False,
            "refundLineItems": [line],
            "transactions": [
                {
                    "orderId": ORDER.id,
                    "parentId": "gid://shopify/OrderTransaction/389404469",
                    "gateway": "Miinto",
                    "kind": "REFUND",
                    "amount": "129.00",
                }
            ],
            "shipping": {"amount": "39.00"},
        },
        "idempotencyKey": "rma-42",
    }
    assert shop.call("refundCreate").operation.selections[0].directive("idempotent") is not None
    assert result.created is True
    assert result.refund == StoreRefund(
        refund_id="gid://shopify/Refund/929361464",
        order=ORDER,
        lines=(RefundLine(sku="KNIT-NAVY-M", line_id="gid://shopify/LineItem/466157049", quantity=1, amount=Decimal("90.00")),),
        shipping_amount=Decimal("39.00"),
        total=Money(amount=Decimal("129.00"), currency="DKK"),
        created_at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        origin_key="rma-42",
        note="RMA accepted: damaged [koongo:rma-42]",
    )


def test_an_unshipped_line_is_restocked_as_a_cancellation(shop, adapter):
    shop.on("orderRefunds", "order_refunds").on("orderLines", "order_lines")
    shop.on("suggestedRefund", "suggested_refund").on("refundCreate", "refund_create")
    request = RefundRequest(key="rma-43", order=ORDER, lines=(RefundLine(sku="TEE-WHITE-M", quantity=2),), currency="DKK")
    adapter.create_refund(request)
    assert shop.call("suggestedRefund").variables["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/466157050", "quantity": 2, "restockType": "CANCEL"}
    ]
    assert "shippingAmount" not in shop.call("suggestedRefund").variables


def test_a_refund_in_another_currency_than_the_order_is_refused_before_anything_is_sent(shop, adapter):
    shop.on("orderRefunds", "order_refunds").on("orderLines", "order_lines")
    request = RefundRequest(key="rma-44", order=ORDER, lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),), currency="EUR")
    with pytest.raises(PermanentError, match="is in DKK, the refund in EUR"):
        adapter.create_refund(request)
    assert shop.operations() == ["orderRefunds", "orderLines"]


def _multi_currency_answers(shop) -> None:
    """A DKK shop whose customer paid in EUR: amounts differ per currency, as on Shopify."""
    lines = fixture("order_lines")
    lines["data"]["order"]["presentmentCurrencyCode"] = "EUR"
    suggested = fixture("suggested_refund")
    suggested["data"]["order"]["suggestedRefund"]["suggestedTransactions"][0]["amountSet"] = {
        "shopMoney": {"amount": "129.00", "currencyCode": "DKK"},
        "presentmentMoney": {"amount": "17.30", "currencyCode": "EUR"},
    }
    shop.on("orderRefunds", "order_refunds").on("primaryLocation", "locations").on("refundCreate", "refund_create")
    shop.answers["orderLines"] = [httpx.Response(200, json=lines)]
    shop.answers["suggestedRefund"] = [httpx.Response(200, json=suggested)]


def test_a_multi_currency_refund_sends_presentment_amounts_with_the_presentment_currency(shop, adapter):
    _multi_currency_answers(shop)
    request = RefundRequest(
        key="rma-45",
        order=ORDER,
        lines=(RefundLine(sku="KNIT-NAVY-M", quantity=1),),
        shipping_amount=Decimal("5.20"),
        currency="EUR",
    )
    adapter.create_refund(request)
    refund = shop.call("refundCreate").variables["input"]
    assert (refund["currency"], refund["shipping"], [t["amount"] for t in refund["transactions"]]) == (
        "EUR",
        {"amount": "5.20"},
        ["17.30"],
    )


def test_a_refund_in_the_shop_currency_of_a_multi_currency_order_is_refused_before_anything_is_sent(shop, adapter):
    _multi_currency_answers(shop)
    request = RefundRequest(key="rma-46", order=ORDER, lines=(RefundLine(sku="KNIT-NAVY-M", quantity=1),), currency="DKK")
    with pytest.raises(PermanentError, match="is in EUR, the refund in DKK"):
        adapter.create_refund(request)
    assert shop.operations() == ["orderRefunds", "orderLines"]


def test_a_suggested_transaction_without_a_gateway_is_refunded_through_its_parents(shop, adapter):
    # OrderTransactionInput.gateway is non-null; Shopify's suggestion may leave it out.
    suggested = fixture("suggested_refund")
    suggested["data"]["order"]["suggestedRefund"]["suggestedTransactions"][0]["gateway"] = None
    shop.on("orderRefunds", "order_refunds").on("orderLines", "order_lines").on("refundCreate", "refund_create")
    shop.answers["suggestedRefund"] = [httpx.Response(200, json=suggested)]
    adapter.create_refund(RefundRequest(key="rma-47", order=ORDER, lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),), currency="DKK"))
    assert [t["gateway"] for t in shop.call("refundCreate").variables["input"]["transactions"]] == ["Miinto"]


def test_an_auth_failure_while_resolving_skus_still_reports_each_change(shop, adapter):
    shop.answers["inventoryTargets"] = [httpx.Response(401, json={"errors": "[API] Invalid API key"})] * 2
    [result] = adapter.adjust_stock([StockChange(key="sale-3", sku="KNIT-NAVY-S", delta=-1)])
    assert (result.outcome, result.retryable) == (StockOutcome.FAILED, False)
    assert "refused the access token" in result.error


def test_a_refund_with_our_key_already_on_the_order_is_returned_without_creating(shop, adapter):
    shop.on("orderRefunds", "order_refunds")
    request = RefundRequest(key="rma-41", order=ORDER, lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),), currency="DKK")
    result = adapter.create_refund(request)
    assert (result.created, result.refund.refund_id) == (False, "gid://shopify/Refund/929361463")
    assert shop.operations() == ["orderRefunds"]


def test_a_refunds_create_delivery_verifies_into_an_event(adapter):
    body = (json.dumps(fixture("webhook_refunds_create"))).encode()
    headers = {
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        "X-Shopify-Shop-Domain": "acme.myshopify.com",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    event = adapter.verify_webhook(headers, body)
    assert (event.kind, event.topic, event.delivery_id, event.shop, event.order_id, event.object_id) == (
        WebhookKind.REFUND_CREATED,
        "refunds/create",
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "acme.myshopify.com",
        "gid://shopify/Order/148977776",
        "gid://shopify/Refund/929361462",
    )
