"""Pinned requests of every BigCommerce adapter method (URL, query, headers, body), answered by docs-shaped fixtures."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from koongo.http import AuthError, PermanentError, TransientError
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
    StoreOrderRef,
    StorePrice,
    StoreProduct,
    StoreRefund,
    StoreShipment,
)
from tests.platforms.bigcommerce.conftest import BASE, TOKEN, fixture
from tests.platforms.contract.catalog import make_draft

ORDER = StoreOrderRef(id="118", reference="miinto-7")
DKK = {"currency": "DKK", "tax_included": True}


def _catalog(store, tax="tax_settings"):
    store.on("GET", "/v3/catalog/products", "catalog_products").on("GET", "/v3/catalog/brands", "brands")
    store.on("GET", "/v3/catalog/categories", "categories").on("GET", "/v3/inventory/items", "inventory_items")
    store.on("GET", "/v2/store", "store").on("GET", "/v3/tax/settings", tax if isinstance(tax, dict) else tax)


def test_connection_probes_one_endpoint_per_scope_with_the_token(store, adapter):
    store.on("GET", "/v2/store", "store").on("GET", "/v2/orders", None, status=204)
    store.on("GET", "/v3/catalog/products", "catalog_products").on("GET", "/v3/orders/payment_actions/refunds", "refunds")
    store.on("GET", "/v3/inventory/items", "inventory_items").on("GET", "/v3/tax/settings", "tax_settings")
    info = adapter.test_connection()
    assert store.urls() == [
        "GET /v2/store", "GET /v2/orders?limit=1", "GET /v3/catalog/products?limit=1", "GET /v3/orders/payment_actions/refunds?limit=1",
        "GET /v3/inventory/items?limit=1", "GET /v3/tax/settings",
    ]
    headers = store.calls[0].request.headers
    assert (headers["X-Auth-Token"], headers["Accept"]) == (TOKEN, "application/json")
    assert info == ShopInfo(name="Nordkyst", currency="DKK", prices_include_tax=True, scopes=frozenset({
        "store_v2_information_read_only", "store_v2_orders", "store_v2_products_read_only", "store_v2_transactions", "store_inventory"}))


def test_connection_names_the_scopes_whose_probe_is_forbidden(store, adapter):
    forbidden = {"status": 403, "title": "You don't have a required scope to access the endpoint", "type": "https://developer.bigcommerce.com"}
    store.on("GET", "/v2/store", "store").on("GET", "/v2/orders", None, status=204)
    store.on("GET", "/v3/catalog/products", "catalog_products").on("GET", "/v3/orders/payment_actions/refunds", forbidden, status=403)
    store.on("GET", "/v3/inventory/items", forbidden, status=403)
    with pytest.raises(MissingScope) as raised:
        adapter.test_connection()
    assert raised.value.missing == ("store_inventory", "store_v2_transactions")


def test_a_refused_token_is_an_auth_error_in_bigcommerces_words(store, adapter):
    store.on("GET", "/v2/store", [{"status": 401, "message": "You were not authorised to access this resource"}], status=401)
    with pytest.raises(AuthError) as raised:
        adapter.test_connection()
    assert str(raised.value) == "BigCommerce refused the access token of store abc123 (401): You were not authorised to access this resource"


def test_identifier_attributes_are_the_variant_fields_and_need_no_call(store, adapter):
    assert adapter.identifier_attributes() == [
        Attribute(code="id", label="Variant ID", kind=AttributeKind.ID), Attribute(code="sku", label="SKU", kind=AttributeKind.SKU),
        Attribute(code="gtin", label="GTIN", kind=AttributeKind.GTIN), Attribute(code="upc", label="UPC/EAN field", kind=AttributeKind.CUSTOM),
        Attribute(code="mpn", label="Manufacturer part number (MPN)", kind=AttributeKind.MPN)]
    assert store.calls == []


def test_the_catalog_is_paged_with_variants_images_names_and_stock_by_sku(store, adapter):
    _catalog(store)
    products = list(adapter.iter_products(page_size=50))
    assert store.urls()[:4] == [
        "GET /v3/catalog/products?include=variants%2Cimages&page=1&limit=50", "GET /v3/catalog/brands?id%3Ain=36&page=1&limit=250",
        "GET /v3/catalog/categories?id%3Ain=23&page=1&limit=250",
        "GET /v3/inventory/items?sku%3Ain=KNIT-NAVY-S%2CCAP-BLACK&location_id%3Ain=1&page=1&limit=250",
    ]
    knit = StoreProduct(
        product_id="174", variant_id="382", sku="KNIT-NAVY-S", gtin="5712345000014",
        identifiers={"id": "382", "sku": "KNIT-NAVY-S", "gtin": "5712345000014", "mpn": "NK-CK-001"},
        title="Cable Knit Jumper", brand="Nordkyst", color="Navy", size="S", category="Knitwear",
        image_urls=("https://cdn11.bigcommerce.com/s-abc123/products/174/images/410/knit-navy__12345.jpg",
                    "https://cdn11.bigcommerce.com/s-abc123/images/stencil/500x659/products/174/408/front.jpg",
                    "https://cdn11.bigcommerce.com/s-abc123/images/stencil/500x659/products/174/409/back.jpg"),
        stock=10,
        final_price=StorePrice(amount=Decimal("100"), **DKK, derivation="variant calculated price, entered with tax"),
        original_price=StorePrice(amount=Decimal("125"), **DKK, derivation="variant price, entered with tax"),
    )
    assert products[0] == knit
    cap = products[1]
    assert (cap.identifiers, cap.stock, cap.brand, cap.category) == ({"id": "390", "sku": "CAP-BLACK", "upc": "012345678905"}, 5, None, None)
    assert cap.original_price == cap.final_price == StorePrice(amount=Decimal("62.5"), **DKK, derivation="variant calculated price, entered with tax")


def test_net_catalog_prices_are_grossed_up_with_the_connections_vat_rate(store, adapter):
    _catalog(store, tax={"data": {"tax_entered_with_prices": False}, "meta": {}})
    knit = next(adapter.iter_products())
    assert knit.final_price == StorePrice(
        amount=Decimal("125.00"), **DKK,
        derivation="variant calculated price net 100 × 1.25 (the connection's VAT rate; the store enters prices without tax)")


def test_lookup_by_sku_reads_inventory_identities_then_their_products_and_keeps_exact_matches(store, adapter):
    _catalog(store)
    found = adapter.get_products(["KNIT-NAVY-S", "NOPE"], "sku")
    # Get All Variants documents no `sku:in`; the inventory items do, and name each SKU's variant and product.
    assert store.urls()[:2] == [
        "GET /v3/inventory/items?sku%3Ain=KNIT-NAVY-S%2CNOPE&page=1&limit=250",
        "GET /v3/catalog/products?id%3Ain=174&include=variants%2Cimages&page=1&limit=250",
    ]
    assert [(p.sku, p.variant_id) for p in found] == [("KNIT-NAVY-S", "382")]


def test_lookup_by_a_field_without_a_filter_scans_the_catalog(store, adapter):
    _catalog(store)
    assert [p.sku for p in adapter.get_products(["012345678905"], "upc")] == ["CAP-BLACK"]
    assert store.urls()[0] == "GET /v3/catalog/products?include=variants%2Cimages&page=1&limit=250"
    with pytest.raises(PermanentError):
        adapter.get_products(["x"], "metafield:style")


def test_find_order_by_reference_filters_on_external_order_id(store, adapter):
    store.on("GET", "/v2/orders", [fixture("order")])
    assert adapter.find_order_by_reference("miinto-7") == ORDER
    assert store.urls() == ["GET /v2/orders?external_order_id=miinto-7"]
    store.answers["GET /v2/orders"] = [httpx.Response(204)]
    assert adapter.find_order_by_reference("miinto-8") is None


def test_create_order_looks_up_first_then_posts_catalog_lines_at_the_miinto_price(store, adapter):
    store.on("GET", "/v2/orders", None, status=204)
    store.on("GET", "/v3/catalog/products", {"data": [
        {"id": 174, "name": "Cable Knit Jumper", "price": 125, "variants": [
            {"id": 383, "product_id": 174, "sku": "KNIT-NAVY-M", "price": 125, "calculated_price": 100, "option_values": []}]},
        {"id": 176, "name": "Organic Tee", "price": 25, "variants": [
            {"id": 392, "product_id": 176, "sku": "TEE-WHITE-M", "price": 25, "calculated_price": 25, "option_values": []}]}],
        "meta": {"pagination": {"total_pages": 1}}})
    store.on("GET", "/v3/inventory/items", {"data": [
        {"identity": {"sku": "KNIT-NAVY-M", "variant_id": 383, "product_id": 174}, "locations": []},
        {"identity": {"sku": "TEE-WHITE-M", "variant_id": 392, "product_id": 176}, "locations": []}],
        "meta": {"pagination": {"total_pages": 1}}})
    store.on("GET", "/v2/store", "store").on("GET", "/v3/tax/settings", "tax_settings")
    store.on("POST", "/v2/orders", "order", status=201)
    ref = adapter.create_order(make_draft("miinto-7", "DKK"))
    assert ref == ORDER
    assert store.urls()[0] == "GET /v2/orders?external_order_id=miinto-7"
    post = store.calls[-1]
    assert (post.request.method, post.url, post.request.headers["Content-Type"]) == ("POST", f"{BASE}/v2/orders", "application/json")
    address = {"first_name": "Karen", "last_name": "Blixen", "street_1": "Strandvejen 111", "city": "Rungsted Kyst", "zip": "2960",
               "country_iso2": "DK", "phone": "+4512345678", "email": "karen@example.com"}
    assert post.body == {
        "customer_id": 0, "status_id": 11, "billing_address": address,
        "shipping_addresses": [{**address, "shipping_method": "Miinto Standard"}],
        "products": [{"product_id": 174, "variant_id": 383, "quantity": 1, "price_inc_tax": 90.0, "price_ex_tax": 72.0},
                     {"product_id": 176, "variant_id": 392, "quantity": 2, "price_inc_tax": 22.5, "price_ex_tax": 18.0}],
        "shipping_cost_inc_tax": 0.0, "shipping_cost_ex_tax": 0.0, "payment_method": "Miinto", "external_source": "Miinto",
        "external_order_id": "miinto-7", "staff_notes": "Miinto order 1-m!i!s-045-1234", "customer_message": "Miinto order miinto-miinto-7",
    }


def test_a_note_is_appended_to_staff_notes_with_a_put_that_sends_nothing_else(store, adapter):
    store.on("GET", "/v2/orders/118", "order").on("PUT", "/v2/orders/118", "order")
    assert adapter.update_order_note(ORDER, "Labels: https://koongo.example/l/1") is True
    assert store.urls() == ["GET /v2/orders/118", "PUT /v2/orders/118"]
    assert store.calls[1].body == {"staff_notes": "Miinto order 1-m!i!s-045-1234\nLabels: https://koongo.example/l/1"}


def test_stock_moves_by_a_relative_adjustment_and_is_never_read_back(store, adapter):
    store.on("POST", "/v3/inventory/adjustments/relative", {"transaction_id": "2c0a3f4e-7f7b-4b4e-9a70-1d2d3c4b5a69"})
    [result] = adapter.adjust_stock([StockChange(key="sale-1", sku="KNIT-NAVY-S", delta=-2, reason="Miinto order 7")])
    assert store.urls() == ["POST /v3/inventory/adjustments/relative"]
    assert store.calls[0].body == {"reason": "Miinto order 7", "items": [{"location_id": 1, "sku": "KNIT-NAVY-S", "quantity": -2}]}
    assert (result.outcome, result.quantity) == (StockOutcome.APPLIED, None)


def test_a_stock_adjustment_that_times_out_is_ambiguous_and_never_resent(store, adapter):
    store.answers["POST /v3/inventory/adjustments/relative"] = [httpx.Response(504, json={"status": 504, "title": "Gateway Timeout"})]
    change = StockChange(key="sale-2", sku="CAP-BLACK", delta=-1)
    [first] = adapter.adjust_stock([change])
    [again] = adapter.adjust_stock([change])
    assert (first.outcome, again.outcome) == (StockOutcome.AMBIGUOUS, StockOutcome.AMBIGUOUS)
    assert store.urls() == ["POST /v3/inventory/adjustments/relative"]


def test_shipments_are_read_per_order_modified_since_the_window(store, adapter):
    store.on("GET", "/v2/orders", [fixture("order"), {**fixture("order"), "id": 119, "external_order_id": None}])
    store.on("GET", "/v2/orders/118/shipments", "shipments").on("GET", "/v2/orders/118/products", "order_products")
    shipments = adapter.shipments_since(datetime(2026, 5, 6, 8, 10, tzinfo=UTC))
    assert store.urls() == [
        "GET /v2/orders?min_date_modified=2026-05-06T08%3A00%3A00%2B00%3A00&sort=date_modified%3Aasc&page=1&limit=250",
        "GET /v2/orders/118/shipments?page=1&limit=250", "GET /v2/orders/118/products?page=1&limit=250",
    ]
    assert shipments == [StoreShipment(
        shipment_id="9", order=ORDER, carrier="DHL", tracking_number="00340434161234567890",
        tracking_url="https://www.dhl.com/dk-en/home/tracking.html?tracking-id=00340434161234567890",
        lines=(ShipmentLine(sku="TEE-WHITE-M", quantity=1, line_id="202"),), created_at=datetime(2026, 5, 6, 8, 15, tzinfo=UTC),
    )]


def _refund_request(**changes) -> RefundRequest:
    values = {"key": "rma-1", "order": ORDER, "lines": (RefundLine(sku="TEE-WHITE-M", quantity=1),), "currency": "DKK",
              "reason": "RMA accepted: wrong size"}
    return RefundRequest(**{**values, **changes})


def test_a_refund_is_quoted_then_paid_offline_at_exactly_the_quoted_total_then_restocked(store, adapter):
    store.on("GET", "/v3/orders/118/payment_actions/refunds", {"data": [], "meta": {"pagination": {"total_pages": 1}}})
    store.on("GET", "/v2/orders/118/products", "order_products").on("GET", "/v2/orders/118", "order")
    store.on("POST", "/v3/orders/118/payment_actions/refund_quotes", "refund_quote", status=201)
    store.on("POST", "/v3/orders/118/payment_actions/refunds", "refund", status=201)
    store.on("POST", "/v3/inventory/adjustments/relative", {"transaction_id": "t-1"})
    result = adapter.create_refund(_refund_request())
    assert store.urls() == [
        "GET /v3/orders/118/payment_actions/refunds?page=1&limit=250", "GET /v2/orders/118/products?page=1&limit=250",
        "POST /v3/orders/118/payment_actions/refund_quotes", "POST /v3/orders/118/payment_actions/refunds", "GET /v2/orders/118",
        "POST /v3/inventory/adjustments/relative",
    ]
    item = {"item_type": "PRODUCT", "item_id": 202, "quantity": 1, "reason": "RMA accepted: wrong size [koongo:rma-1]"}
    assert store.calls[2].body == {"items": [item]}
    assert store.calls[3].body == {"items": [item], "payments": [{"provider_id": "custom", "amount": 22.5, "offline": True}]}
    assert store.calls[5].body == {"reason": "refund rma-1", "items": [{"location_id": 1, "sku": "TEE-WHITE-M", "quantity": 1}]}
    assert result.refund == StoreRefund(
        refund_id="12", order=ORDER, lines=(RefundLine(sku="TEE-WHITE-M", line_id="202", quantity=1),),
        total=Money(amount=Decimal("22.5"), currency="DKK"), created_at=datetime(2026, 5, 7, 10, 20, 30, tzinfo=UTC), origin_key="rma-1",
        note="RMA accepted: wrong size",
    )
    assert (result.created, [r.outcome for r in result.restocked]) == (True, [StockOutcome.APPLIED])


def test_a_refund_with_shipping_refunds_it_on_the_orders_address(store, adapter):
    store.on("GET", "/v3/orders/118/payment_actions/refunds", {"data": [], "meta": {}})
    store.on("GET", "/v2/orders/118/products", "order_products").on("GET", "/v2/orders/118", "order")
    quote = fixture("refund_quote")
    quote["data"]["total_refund_amount"] = 47.5
    quote["data"]["refund_methods"] = [[{"provider_id": "custom", "amount": 47.5, "offline": True}]]
    store.on("POST", "/v3/orders/118/payment_actions/refund_quotes", quote, status=201)
    store.on("POST", "/v3/orders/118/payment_actions/refunds", "refund", status=201)
    adapter.create_refund(_refund_request(shipping_amount=Decimal("25.00"), restock=False))
    items = store.calls[2].body["items"]
    assert items[1] == {"item_type": "SHIPPING", "item_id": 77, "amount": 25.0, "reason": "RMA accepted: wrong size [koongo:rma-1]"}
    assert store.calls[3].body["payments"] == [{"provider_id": "custom", "amount": 47.5, "offline": True}]


def test_a_refund_already_carrying_the_key_is_returned_without_quoting_again(store, adapter):
    store.on("GET", "/v3/orders/118/payment_actions/refunds", "refunds")
    store.on("GET", "/v2/orders/118", "order").on("GET", "/v2/orders/118/products", "order_products")
    store.on("POST", "/v3/inventory/adjustments/relative", {"transaction_id": "t-1"})
    result = adapter.create_refund(_refund_request())
    assert (result.created, result.refund.refund_id) == (False, "12")
    assert not [url for url in store.urls() if "refund_quotes" in url or url.endswith("payment_actions/refunds")]


def test_a_quote_without_a_single_offline_method_refunds_nothing(store, adapter):
    store.on("GET", "/v3/orders/118/payment_actions/refunds", {"data": [], "meta": {}})
    store.on("GET", "/v2/orders/118/products", "order_products")
    quote = fixture("refund_quote")
    quote["data"]["refund_methods"] = quote["data"]["refund_methods"][:1]
    store.on("POST", "/v3/orders/118/payment_actions/refund_quotes", quote, status=201)
    with pytest.raises(PermanentError, match="no single offline refund method for 22.5"):
        adapter.create_refund(_refund_request())
    assert "POST /v3/orders/118/payment_actions/refunds" not in store.urls()


def test_refunds_since_lists_by_created_min_and_reads_each_order_once(store, adapter):
    store.on("GET", "/v3/orders/payment_actions/refunds", "refunds")
    store.on("GET", "/v2/orders/118", "order").on("GET", "/v2/orders/118/products", "order_products")
    refunds = adapter.refunds_since(datetime(2026, 5, 7, 10, 30, tzinfo=UTC))
    assert store.urls() == [
        "GET /v3/orders/payment_actions/refunds?created%3Amin=2026-05-07T10%3A20%3A00%2B00%3A00&page=1&limit=250",
        "GET /v2/orders/118", "GET /v2/orders/118/products?page=1&limit=250",
    ]
    assert refunds[1] == StoreRefund(
        refund_id="14", order=ORDER, lines=(RefundLine(sku="KNIT-NAVY-M", line_id="201", quantity=1),), shipping_amount=Decimal("25.00"),
        total=Money(amount=Decimal("115.0"), currency="DKK"), created_at=datetime(2026, 5, 7, 12, tzinfo=UTC), note="Returned in shop",
    )
    assert refunds[0].origin_key == "rma-1"


def test_a_server_error_is_transient(store, adapter):
    store.on("GET", "/v2/orders/118", {"status": 500, "title": "Internal Server Error"}, status=500)
    with pytest.raises(TransientError):
        adapter.update_order_note(ORDER, "x")


def test_an_order_in_another_currency_than_the_stores_is_refused_before_posting(store, adapter):
    store.on("GET", "/v2/orders", None, status=204)
    store.on("GET", "/v3/catalog/products", "catalog_products").on("GET", "/v3/catalog/brands", "brands")
    store.on("GET", "/v3/catalog/categories", "categories").on("GET", "/v3/inventory/items", "inventory_items")
    store.on("GET", "/v2/store", "store").on("GET", "/v3/tax/settings", "tax_settings")
    with pytest.raises(PermanentError, match="sells in DKK, not in the order's EUR"):
        adapter.create_order(make_draft("miinto-8", "EUR", lines=(("KNIT-NAVY-S", 1, "12.00"),)))
    assert "POST /v2/orders" not in store.urls()


def test_a_cut_off_body_is_a_transient_error_not_a_decoding_crash(store, adapter):
    cut_off = httpx.Response(200, content=b'{"id": "abc123", "name": ', headers={"Content-Type": "application/json"})
    store.answers["GET /v2/store"] = [cut_off]
    with pytest.raises(TransientError, match="malformed body"):
        adapter.client.get("/v2/store")
