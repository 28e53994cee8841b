"""Pinned requests of every Magento 2 adapter method (URL, searchCriteria, body), answered by docs-shaped fixtures."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from koongo.coordination import Locks, MemoryBackend
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
    Tracking,
)
from platforms.magento2.adapter import Magento2Adapter
from tests.platforms.contract.catalog import make_draft
from tests.platforms.magento2.conftest import CREDENTIALS, catalog_answers, criteria, fixture

ORDER = StoreOrderRef(id="31", reference="miinto-7", name="000000031")
NET_NOTE = "(the connection's VAT rate; catalog prices exclude tax)"
UNAUTHORIZED = {"message": "The consumer isn't authorized to access %resources.", "parameters": {"resources": "Magento_InventoryApi::source"}}
EMPTY = {"items": [], "search_criteria": {"filter_groups": []}, "total_count": 0}


def test_connection_probes_each_acl_resource_and_names_the_store_view(store, adapter):
    store.on("GET", "/V1/store/storeConfigs", "store_configs").on("GET", "/V1/orders", EMPTY).on("GET", "/V1/products", EMPTY)
    store.on("GET", "/V1/inventory/source-items", EMPTY).on("GET", "/V1/store/storeViews", "store_views")
    info = adapter.test_connection()
    assert store.paths() == ["GET /V1/store/storeConfigs", "GET /V1/orders", "GET /V1/products", "GET /V1/inventory/source-items",
                             "GET /V1/store/storeViews"]
    assert store.calls[1].params == {"searchCriteria[pageSize]": "1"}
    assert str(store.calls[0].request.url) == "https://shop.nordkyst.example/rest/default/V1/store/storeConfigs"
    assert info == ShopInfo(name="Nordkyst DK", currency="DKK", prices_include_tax=False, scopes=frozenset({
        "Magento_Backend::store", "Magento_Sales::sales", "Magento_Catalog::products", "Magento_InventoryApi::source"}))


def test_connection_names_the_acl_resource_magento_refused(store, adapter):
    store.on("GET", "/V1/store/storeConfigs", "store_configs").on("GET", "/V1/orders", EMPTY).on("GET", "/V1/products", EMPTY)
    store.on("GET", "/V1/inventory/source-items", UNAUTHORIZED, status=401)
    with pytest.raises(MissingScope) as raised:
        adapter.test_connection()
    assert raised.value.missing == ("Magento_InventoryApi::source",)


def test_credentials_refused_everywhere_are_an_auth_error_in_magentos_words(store, adapter):
    refused = {"message": "The signature is invalid. Verify and try again."}
    for path in ("/V1/store/storeConfigs", "/V1/orders", "/V1/products", "/V1/inventory/source-items"):
        store.on("GET", path, refused, status=401)
    with pytest.raises(AuthError) as raised:
        adapter.test_connection()
    assert str(raised.value) == ("Magento at https://shop.nordkyst.example refused the integration credentials for "
                                 "GET default/V1/store/storeConfigs (401): The signature is invalid. Verify and try again.")


def test_identifier_attributes_add_the_user_defined_text_attributes(store, adapter):
    store.on("GET", "/V1/products/attributes", "product_attributes")
    assert adapter.identifier_attributes() == [
        Attribute(code="id", label="Product ID", kind=AttributeKind.ID), Attribute(code="sku", label="SKU", kind=AttributeKind.SKU),
        Attribute(code="ean", label="EAN", kind=AttributeKind.GTIN), Attribute(code="style_code", label="Style code", kind=AttributeKind.CUSTOM)]
    assert store.calls[0].params == criteria([("frontend_input", "text", "eq")], [("is_user_defined", "1", "eq")], page_size=300, page=1)


def test_the_catalog_is_paged_with_labels_images_salable_stock_and_tax_added_to_net_prices(store, adapter):
    catalog_answers(store)
    products = list(adapter.iter_products(page_size=100))
    assert store.paths() == [
        "GET /V1/products", "GET /V1/products/attributes", "GET /V1/store/storeConfigs", "GET /V1/products/attributes/manufacturer/options",
        "GET /V1/products/attributes/color/options", "GET /V1/products/attributes/size/options", "GET /V1/categories/23",
        "GET /V1/inventory/get-product-salable-quantity/KNIT-NAVY-S/1", "GET /V1/inventory/get-product-salable-quantity/CAP-BLACK/1",
    ]
    assert store.calls[0].params == criteria([("type_id", "simple,virtual", "in")], page_size=100, page=1)
    assert products[0] == StoreProduct(
        product_id="2041", sku="KNIT-NAVY-S", gtin="5712345000014", identifiers={"id": "2041", "sku": "KNIT-NAVY-S", "ean": "5712345000014"},
        title="Cable Knit Jumper-S-Navy", brand="Nordkyst", color="Navy", size="S", category="Knitwear",
        image_urls=("https://shop.nordkyst.example/media/catalog/product/k/n/knit-navy.jpg",
                    "https://shop.nordkyst.example/media/catalog/product/k/n/knit-navy-back.jpg"),
        stock=9,
        final_price=StorePrice(amount=Decimal("100.00"), currency="DKK", tax_included=True, derivation=f"special price net 80.00 × 1.25 {NET_NOTE}"),
        original_price=StorePrice(amount=Decimal("125.00"), currency="DKK", tax_included=True, derivation=f"price net 100.00 × 1.25 {NET_NOTE}"),
    )
    cap = products[1]
    assert (cap.identifiers, cap.gtin, cap.brand, cap.category, cap.image_urls, cap.stock) == (
        {"id": "2050", "sku": "CAP-BLACK", "style_code": "NK-CAP"}, None, None, None, (), 5)
    assert cap.final_price == cap.original_price and cap.final_price.amount == Decimal("62.50")


def test_a_salable_read_that_keeps_failing_marks_that_item_unknown_and_the_rest_read(store, adapter):
    catalog_answers(store)
    store.answers["GET /V1/inventory/get-product-salable-quantity/KNIT-NAVY-S/1"] = [httpx.Response(503, json={"message": "busy"})]
    knit, cap = adapter.get_products(["KNIT-NAVY-S", "CAP-BLACK"], "sku")
    assert (knit.stock, knit.stock_unknown) == (None, True)
    assert (cap.stock, cap.stock_unknown) == (5, False)
    assert store.paths().count("GET /V1/inventory/get-product-salable-quantity/KNIT-NAVY-S/1") == 3  # its retries ran first


def test_more_failed_salable_reads_than_the_limit_mean_the_store_is_down(store):
    catalog_answers(store)
    store.answers["GET /V1/inventory/get-product-salable-quantity/KNIT-NAVY-S/1"] = [httpx.Response(503, json={"message": "busy"})]
    store.answers["GET /V1/inventory/get-product-salable-quantity/CAP-BLACK/1"] = [httpx.Response(503, json={"message": "busy"})]
    adapter = Magento2Adapter(CREDENTIALS, sleep=lambda _: None, locks=Locks(MemoryBackend()))
    adapter.unknown_stock_limit = 1
    with pytest.raises(TransientError):
        adapter.get_products(["KNIT-NAVY-S", "CAP-BLACK"], "sku")


def test_prices_entered_with_tax_are_reported_as_they_are(store):
    catalog_answers(store)
    adapter = Magento2Adapter({**CREDENTIALS, "catalog_prices_include_tax": True})
    knit = next(adapter.iter_products())
    assert (knit.final_price.amount, knit.final_price.derivation) == (Decimal("80.000000"), "special price, entered with tax")


def test_lookup_by_a_custom_attribute_filters_on_it_in_batches_of_twenty(store, adapter):
    catalog_answers(store)
    wanted = ["5712345000014", *[f"00000000000{n:02d}" for n in range(24)]]
    found = adapter.get_products(wanted, "ean")
    lookups = [call for call in store.calls if call.path == "GET /V1/products"]
    assert [call.params for call in lookups] == [
        criteria([("ean", ",".join(wanted[:20]), "in")], [("type_id", "simple,virtual", "in")], page_size=300, page=1),
        criteria([("ean", ",".join(wanted[20:]), "in")], [("type_id", "simple,virtual", "in")], page_size=300, page=1),
    ]
    assert [p.sku for p in found] == ["KNIT-NAVY-S"]  # the stub answers both batches alike; only exact matches count
    with pytest.raises(PermanentError):
        adapter.get_products(["x"], "metafield:nope")


def test_find_order_by_reference_searches_ext_order_id(store, adapter):
    store.on("GET", "/V1/orders", {"items": [fixture("order")], "total_count": 1})
    assert adapter.find_order_by_reference("miinto-7") == ORDER
    assert store.calls[0].params == {
        "searchCriteria[filter_groups][0][filters][0][field]": "ext_order_id", "searchCriteria[filter_groups][0][filters][0][value]": "miinto-7",
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "eq", "searchCriteria[pageSize]": "5", "searchCriteria[currentPage]": "1",
    }


def _resolvable(store):
    products = {"items": [
        {"id": 2042, "sku": "KNIT-NAVY-M", "name": "Cable Knit Jumper-M-Navy", "price": 100, "type_id": "simple", "custom_attributes": []},
        {"id": 2061, "sku": "TEE-WHITE-M", "name": "Organic Tee-M-White", "price": 20, "type_id": "simple", "custom_attributes": []}],
        "total_count": 2}
    store.on("GET", "/V1/products/attributes", "product_attributes").on("GET", "/V1/products", products)
    store.on("GET", "/V1/store/storeConfigs", "store_configs")
    store.on("GET", "/V1/inventory/get-product-salable-quantity/KNIT-NAVY-M/1", 4).on("GET", "/V1/inventory/get-product-salable-quantity/TEE-WHITE-M/1", 4)


def test_create_order_saves_the_miinto_prices_then_invoices_and_adds_the_note(store, adapter):
    _resolvable(store)
    store.on("GET", "/V1/orders", EMPTY).on("POST", "/V1/orders", "order")
    uninvoiced = {**fixture("order"), "total_invoiced": None, "state": "new", "status": "pending", "status_histories": []}
    invoiced = {**fixture("order"), "status_histories": []}
    store.on("GET", "/V1/orders/31", uninvoiced, invoiced).on("POST", "/V1/order/31/invoice", 12).on("POST", "/V1/orders/31/comments", True)
    assert adapter.create_order(make_draft("miinto-7", "DKK")) == ORDER
    assert store.paths() == [
        "GET /V1/orders", "GET /V1/products/attributes", "GET /V1/products", "GET /V1/store/storeConfigs",
        "GET /V1/inventory/get-product-salable-quantity/KNIT-NAVY-M/1", "GET /V1/inventory/get-product-salable-quantity/TEE-WHITE-M/1",
        "POST /V1/orders", "GET /V1/orders/31", "POST /V1/order/31/invoice", "GET /V1/orders/31", "POST /V1/orders/31/comments",
    ]
    address = {"firstname": "Karen", "lastname": "Blixen", "street": ["Strandvejen 111"], "city": "Rungsted Kyst", "postcode": "2960",
               "country_id": "DK", "telephone": "+4512345678", "email": "karen@example.com"}
    item = {"product_type": "simple", "discount_amount": 0, "store_id": 1, "tax_percent": 25.0}
    assert store.call("POST /V1/orders").body == {"entity": {
        "store_id": 1, "state": "new", "status": "pending", "ext_order_id": "miinto-7", "base_currency_code": "DKK", "global_currency_code": "DKK",
        "order_currency_code": "DKK", "store_currency_code": "DKK", "base_to_global_rate": 1, "base_to_order_rate": 1, "store_to_base_rate": 1,
        "store_to_order_rate": 1, "customer_is_guest": 1, "customer_group_id": 0, "customer_email": "karen@example.com",
        "customer_firstname": "Karen", "customer_lastname": "Blixen",
        "subtotal": 108.0, "base_subtotal": 108.0, "subtotal_incl_tax": 135.0, "base_subtotal_incl_tax": 135.0,
        "shipping_amount": 0.0, "base_shipping_amount": 0.0, "shipping_incl_tax": 0.0, "base_shipping_incl_tax": 0.0,
        "shipping_tax_amount": 0.0, "base_shipping_tax_amount": 0.0, "shipping_description": "Miinto Standard",
        "tax_amount": 27.0, "base_tax_amount": 27.0, "grand_total": 135.0, "base_grand_total": 135.0, "discount_amount": 0,
        "base_discount_amount": 0, "total_qty_ordered": 3, "total_item_count": 2,
        "items": [
            {**item, "sku": "KNIT-NAVY-M", "name": "Cable Knit Jumper", "product_id": 2042, "qty_ordered": 1, "price": 72.0, "base_price": 72.0,
             "original_price": 72.0, "base_original_price": 72.0, "price_incl_tax": 90.0, "base_price_incl_tax": 90.0, "row_total": 72.0,
             "base_row_total": 72.0, "row_total_incl_tax": 90.0, "base_row_total_incl_tax": 90.0, "tax_amount": 18.0, "base_tax_amount": 18.0},
            {**item, "sku": "TEE-WHITE-M", "name": "Organic Tee", "product_id": 2061, "qty_ordered": 2, "price": 18.0, "base_price": 18.0,
             "original_price": 18.0, "base_original_price": 18.0, "price_incl_tax": 22.5, "base_price_incl_tax": 22.5, "row_total": 36.0,
             "base_row_total": 36.0, "row_total_incl_tax": 45.0, "base_row_total_incl_tax": 45.0, "tax_amount": 9.0, "base_tax_amount": 9.0},
        ],
        "billing_address": {"address_type": "billing", **address},
        "payment": {"method": "checkmo", "amount_ordered": 135.0, "base_amount_ordered": 135.0, "additional_information": ["Miinto", "miinto-miinto-7"]},
        "extension_attributes": {"shipping_assignments": [
            {"shipping": {"address": {"address_type": "shipping", **address}, "method": "flatrate_flatrate"}, "items": []}]},
    }}
    assert store.call("POST /V1/order/31/invoice").body == {
        "capture": False, "notify": False, "appendComment": True, "comment": {"comment": "Paid through Miinto", "is_visible_on_front": 0}}
    assert store.call("POST /V1/orders/31/comments").body == {"statusHistory": {
        "comment": "Miinto order 1-m!i!s-045-1234", "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": 31, "status": "processing"}}


def test_an_order_found_on_retry_is_invoiced_if_the_first_attempt_stopped_before(store, adapter):
    store.on("GET", "/V1/orders", {"items": [fixture("order")], "total_count": 1})
    store.on("GET", "/V1/orders/31", {**fixture("order"), "total_invoiced": None}, fixture("order")).on("POST", "/V1/order/31/invoice", 12)
    assert adapter.create_order(make_draft("miinto-7", "DKK")) == ORDER
    assert store.paths() == ["GET /V1/orders", "GET /V1/orders/31", "POST /V1/order/31/invoice", "GET /V1/orders/31"]


def test_a_note_is_a_comment_that_keeps_the_current_status(store, adapter):
    store.on("GET", "/V1/orders/31", {**fixture("order"), "status": "complete"}).on("POST", "/V1/orders/31/comments", True)
    assert adapter.update_order_note(ORDER, "Return label: https://koongo.example/r/9") is True
    assert adapter.update_order_note(ORDER, "Labels: https://koongo.example/l/1") is False  # already there
    assert store.paths() == ["GET /V1/orders/31", "POST /V1/orders/31/comments", "GET /V1/orders/31"]
    assert store.call("POST /V1/orders/31/comments").body["statusHistory"]["status"] == "complete"


def test_stock_reads_the_source_item_then_writes_the_sum(store, adapter):
    store.on("GET", "/V1/inventory/source-items", "source_items").on("POST", "/V1/inventory/source-items", [])
    [result] = adapter.adjust_stock([StockChange(key="sale-1", sku="KNIT-NAVY-S", delta=-2)])
    assert store.calls[0].params == criteria([("sku", "KNIT-NAVY-S", "eq")], [("source_code", "default", "eq")], page_size=1, page=1)
    assert store.calls[1].body == {"sourceItems": [{"sku": "KNIT-NAVY-S", "source_code": "default", "quantity": 10, "status": 1}]}
    assert (result.outcome, result.quantity) == (StockOutcome.APPLIED, 10)


def test_a_stock_write_that_times_out_is_ambiguous_and_never_resent(store, adapter):
    store.on("GET", "/V1/inventory/source-items", "source_items")
    store.answers["POST /V1/inventory/source-items"] = [httpx.Response(504, text="Gateway Time-out")]
    change = StockChange(key="sale-2", sku="KNIT-NAVY-S", delta=-1)
    assert [r.outcome for r in adapter.adjust_stock([change]) + adapter.adjust_stock([change])] == [StockOutcome.AMBIGUOUS] * 2
    assert store.paths().count("POST /V1/inventory/source-items") == 1


def test_a_sku_without_a_source_item_fails_alone_and_for_good(store, adapter):
    store.on("GET", "/V1/inventory/source-items", EMPTY)
    [result] = adapter.adjust_stock([StockChange(key="sale-3", sku="NOPE", delta=1)])
    assert (result.outcome, result.retryable) == (StockOutcome.FAILED, False)


def test_shipments_created_or_updated_since_the_window_with_every_track(store, adapter):
    store.on("GET", "/V1/shipments", "shipments").on("GET", "/V1/orders/31", "order")
    shipments = adapter.shipments_since(datetime(2026, 5, 6, 8, 10, tzinfo=UTC))
    assert store.calls[0].params == criteria(
        [("created_at", "2026-05-06 08:00:00", "gteq"), ("updated_at", "2026-05-06 08:00:00", "gteq")], page_size=300, page=1)
    assert shipments == [StoreShipment(
        shipment_id="5", order=ORDER, carrier="DHL", tracking_number="1234567890",
        tracking_url="https://www.dhl.com/en/express/tracking.html?AWB=1234567890",
        additional_tracking=(Tracking(carrier="PostNord", number="PN123456789DK"),),
        lines=(ShipmentLine(sku="TEE-WHITE-M", quantity=1, line_id="62"),),
        created_at=datetime(2026, 5, 6, 8, 15, tzinfo=UTC), updated_at=datetime(2026, 5, 6, 9, 40, tzinfo=UTC),
    )]


def _refund_request(**changes) -> RefundRequest:
    values = {"key": "rma-1", "order": ORDER, "lines": (RefundLine(sku="TEE-WHITE-M", quantity=1),), "currency": "DKK",
              "reason": "RMA accepted: wrong size"}
    return RefundRequest(**{**values, **changes})


def test_a_refund_is_an_offline_credit_memo_returning_the_items_to_stock(store, adapter):
    store.on("GET", "/V1/creditmemos", EMPTY).on("GET", "/V1/orders/31", "order").on("POST", "/V1/order/31/refund", 7)
    store.on("GET", "/V1/creditmemo/7", "creditmemo").on("GET", "/V1/creditmemo/7/comments", "creditmemo_comments")
    result = adapter.create_refund(_refund_request())
    assert store.paths() == ["GET /V1/creditmemos", "GET /V1/orders/31", "POST /V1/order/31/refund", "GET /V1/creditmemo/7",
                             "GET /V1/creditmemo/7/comments"]
    assert store.calls[0].params == criteria([("order_id", "31", "eq")], page_size=300, page=1)
    assert store.call("POST /V1/order/31/refund").body == {
        "items": [{"order_item_id": 62, "qty": 1}], "notify": False, "appendComment": True,
        "comment": {"comment": "RMA accepted: wrong size [koongo:rma-1]", "is_visible_on_front": 0},
        "arguments": {"shipping_amount": 0.0, "adjustment_positive": 0, "adjustment_negative": 0,
                      "extension_attributes": {"return_to_stock_items": [62]}},
    }
    assert (result.created, result.refund) == (True, StoreRefund(
        refund_id="7", order=ORDER, lines=(RefundLine(sku="TEE-WHITE-M", line_id="62", quantity=1, amount=Decimal("22.5")),),
        total=Money(amount=Decimal("22.5"), currency="DKK"), created_at=datetime(2026, 5, 7, 10, 20, 30, tzinfo=UTC), origin_key="rma-1",
        note="RMA accepted: wrong size",
    ))


def test_refunded_shipping_is_sent_net_when_the_store_enters_prices_without_tax(store, adapter):
    store.on("GET", "/V1/creditmemos", EMPTY).on("GET", "/V1/orders/31", "order").on("POST", "/V1/order/31/refund", 7)
    store.on("GET", "/V1/creditmemo/7", "creditmemo").on("GET", "/V1/creditmemo/7/comments", "creditmemo_comments")
    adapter.create_refund(_refund_request(shipping_amount=Decimal("49.00"), restock=False))
    arguments = store.call("POST /V1/order/31/refund").body["arguments"]
    assert (arguments["shipping_amount"], arguments["extension_attributes"]) == (39.2, {"return_to_stock_items": []})


def test_a_line_beyond_the_invoiced_quantity_is_refused_before_any_write(store, adapter):
    store.on("GET", "/V1/creditmemos", EMPTY).on("GET", "/V1/orders/31", "order")
    with pytest.raises(PermanentError, match="no invoiced, unrefunded line TEE-WHITE-M × 3"):
        adapter.create_refund(_refund_request(lines=(RefundLine(sku="TEE-WHITE-M", quantity=3),)))
    assert "POST /V1/order/31/refund" not in store.paths()


def test_refunds_since_poll_credit_memos_by_created_at(store, adapter):
    store.on("GET", "/V1/creditmemos", {"items": [fixture("creditmemo")], "total_count": 1}).on("GET", "/V1/orders/31", "order")
    store.on("GET", "/V1/creditmemo/7/comments", "creditmemo_comments")
    [refund] = adapter.refunds_since(datetime(2026, 5, 7, 10, 30, tzinfo=UTC))
    assert store.calls[0].params == criteria([("created_at", "2026-05-07 10:20:00", "gteq")], page_size=300, page=1)
    assert (refund.refund_id, refund.order, refund.origin_key, refund.total) == ("7", ORDER, "rma-1", Money(amount=Decimal("22.5"), currency="DKK"))


def test_magentos_placeholders_are_filled_into_error_messages(store, adapter):
    error = {"message": 'The "%1" value\'s type is invalid. The "%2" type was expected.', "parameters": ["abc", "int"]}
    store.on("GET", "/V1/orders/31", error, status=400)
    with pytest.raises(PermanentError) as raised:
        adapter.update_order_note(ORDER, "x")
    assert str(raised.value).endswith('(400): The "abc" value\'s type is invalid. The "int" type was expected.')


def test_an_order_in_another_currency_than_the_store_views_is_refused_before_saving(store, adapter):
    _resolvable(store)
    store.on("GET", "/V1/orders", EMPTY)
    with pytest.raises(PermanentError, match="is in DKK, not in the order's EUR"):
        adapter.create_order(make_draft("miinto-9", "EUR"))
    assert "POST /V1/orders" not in store.paths()
