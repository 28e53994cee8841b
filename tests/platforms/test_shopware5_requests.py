"""The exact Shopware 5 REST requests (URL, auth, query, JSON bodies), pinned with respx against doc-shaped answers."""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from platforms.base import MissingScope, RefundLine, RefundRequest, StockChange, StockOutcome, StoreOrderRef
from platforms.shopware5.adapter import Shopware5Adapter
from platforms.shopware5.orders import order_totals
from tests.platforms import shopware5_payloads as p

API = "https://shop.test/api"
LISTED = {key: value for key, value in p.ORDER["data"].items() if key not in ("details", "dispatch")}  # a list row joins neither


def _adapter(**credentials) -> Shopware5Adapter:
    return Shopware5Adapter(
        {
            "shop_url": "https://shop.test",
            "username": "api",
            "api_key": "s3cr3t",
            "auth_scheme": "basic",
            "payment_id": 5,
            "dispatch_id": 9,
            **credentials,
        },
        sleep=lambda seconds: None,
    )


def _query(route, call: int = -1) -> list[tuple[str, str]]:
    return list(route.calls[call].request.url.params.multi_items())


def _body(route, call: int = -1):
    return json.loads(route.calls[call].request.content)


@respx.mock
def test_connection_checks_the_version_each_resource_the_payment_method_and_the_shop():
    version = respx.get(f"{API}/version").respond(json=p.VERSION)
    probes = [
        respx.get(f"{API}/{name}").respond(json=p.EMPTY) for name in ("orders", "customers", "variants", "articles", "countries")
    ]
    respx.get(f"{API}/paymentMethods/5").respond(json=p.PAYMENT)
    respx.get(f"{API}/shops/1").respond(json=p.SHOP)
    groups = respx.get(f"{API}/customerGroups").respond(json=p.CUSTOMER_GROUPS)
    info = _adapter().test_connection()
    assert version.calls.last.request.headers["Authorization"] == "Basic " + base64.b64encode(b"api:s3cr3t").decode()
    assert [_query(probe) for probe in probes] == [[("start", "0"), ("limit", "1")]] * 5
    assert _query(groups) == [("filter[0][property]", "key"), ("filter[0][value]", "EK")]
    assert (info.name, info.currency, info.prices_include_tax, info.platform_version) == ("Nordkyst", "EUR", True, "5.7.19")


@respx.mock
def test_a_role_without_privileges_is_refused_naming_each_missing_read():
    respx.get(f"{API}/version").respond(json=p.VERSION)
    for name in ("orders", "customers", "articles"):
        respx.get(f"{API}/{name}").respond(json=p.EMPTY)
    for name, acl in (("variants", "variant"), ("countries", "country")):
        respx.get(f"{API}/{name}").respond(
            403, json={"success": False, "message": f'Role "api" is not allowed to "read" on resource "{acl}"'}
        )
    with pytest.raises(MissingScope) as raised:
        _adapter().test_connection()
    assert str(raised.value) == "Shopware 5 credentials lack the permissions: country (read), variant (read)"


def test_digest_auth_answers_the_challenge_with_the_api_key():
    seen = []

    def shop(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        if not request.headers.get("Authorization", "").startswith("Digest "):
            return httpx.Response(
                401,
                json={"success": False, "message": "Invalid or missing auth"},
                headers={"WWW-Authenticate": 'Digest realm="Shopware REST-API", qop="auth", nonce="abc", opaque="xyz"'},
            )
        return httpx.Response(200, json=p.VERSION)

    adapter = Shopware5Adapter(
        {"shop_url": "https://shop.test", "username": "api", "api_key": "s3cr3t", "payment_id": 5, "dispatch_id": 9},
        transport=httpx.MockTransport(shop),
    )
    adapter.client.get("version")
    adapter.client.get("version")
    assert seen[0] == ""
    assert seen[1].startswith('Digest username="api", realm="Shopware REST-API", nonce="abc", uri="/api/version"')
    assert len(seen) == 3  # the challenge is kept: the second call authenticates at once


@respx.mock
def test_variants_are_looked_up_by_number_and_the_article_fills_in_options_brand_and_category():
    variants = respx.get(f"{API}/variants").respond(json=p.VARIANTS)
    article = respx.get(f"{API}/articles/32").respond(json=p.ARTICLE)
    respx.get(f"{API}/shops/1").respond(json=p.SHOP)
    [item] = _adapter().get_products(["KNIT-NAVY-S", "NOPE"], "sku")
    assert _query(variants) == [
        ("filter[0][property]", "number"),
        ("filter[0][value][]", "KNIT-NAVY-S"),
        ("filter[0][value][]", "NOPE"),
        ("considerTaxInput", "1"),
        ("sort[0][property]", "id"),
        ("sort[0][direction]", "ASC"),
        ("start", "0"),
        ("limit", "4"),
    ]
    assert _query(article) == [("considerTaxInput", "1")]
    assert (item.product_id, item.variant_id, item.identifiers) == (
        "32",
        "124",
        {"id": "124", "sku": "KNIT-NAVY-S", "gtin": "5712345000014", "mpn": "KN-01"},
    )
    assert (item.title, item.brand, item.color, item.size, item.category, item.stock) == (
        "Cable Knit Jumper",
        "Nordkyst",
        "Navy",
        "S",
        "Strick",
        4,
    )
    assert (item.final_price.amount, item.original_price.amount, item.final_price.currency) == (
        Decimal("100.00"),
        Decimal("125.00"),
        "EUR",
    )


@respx.mock
def test_an_order_is_posted_raw_with_the_totals_computed_here_after_finding_the_customer():
    from tests.platforms.contract.catalog import make_draft

    respx.get(f"{API}/orders").respond(json=p.EMPTY)
    respx.get(f"{API}/variants").respond(
        json={
            "success": True,
            "total": 2,
            "data": [
                {**p.VARIANTS["data"][0], "id": 123, "number": "KNIT-NAVY-M"},
                {**p.VARIANTS["data"][0], "id": 130, "articleId": 33, "number": "TEE-WHITE-M"},
            ],
        }
    )
    respx.get(f"{API}/articles/32").respond(json=p.ARTICLE)
    respx.get(f"{API}/articles/33").respond(json={**p.ARTICLE, "data": {**p.ARTICLE["data"], "id": 33, "name": "Organic Tee"}})
    respx.get(f"{API}/shops/1").respond(json=p.SHOP)
    countries = respx.get(f"{API}/countries").respond(
        json={"success": True, "total": 1, "data": [{"id": 7, "iso": "DK", "name": "Dänemark"}]}
    )
    respx.get(f"{API}/customers").respond(json={"success": True, "total": 1, "data": [{"id": 3, "email": "karen@example.com"}]})
    created = respx.post(f"{API}/orders").respond(201, json={"success": True, "data": {"id": 15, "location": f"{API}/orders/15"}})
    respx.get(f"{API}/orders/15").respond(json=p.ORDER)
    draft = make_draft("order-1", "EUR").model_copy(update={"placed_at": datetime(2026, 5, 1, 10, 0, 5, tzinfo=UTC)})
    ref = _adapter().create_order(draft)
    assert ref == StoreOrderRef(id="15", reference="order-1", name="20001")
    assert _query(countries) == [("filter[0][property]", "iso"), ("filter[0][value]", "DK"), ("start", "0"), ("limit", "5")]
    address = {
        "firstName": "Karen",
        "lastName": "Blixen",
        "salutation": "mr",
        "company": "",
        "street": "Strandvejen 111",
        "additionalAddressLine1": "",
        "zipCode": "2960",
        "city": "Rungsted Kyst",
        "phone": "+4512345678",
        "countryId": 7,
    }
    detail = {"mode": 0, "esdArticle": 0, "shipped": 0, "shippedGroup": 0, "statusId": 0, "taxId": 1, "taxRate": 19.0}
    assert _body(created) == {
        "customerId": 3,
        "paymentId": 5,
        "dispatchId": 9,
        "shopId": 1,
        "orderStatusId": 0,
        "paymentStatusId": 12,
        "invoiceAmount": 135.0,
        "invoiceAmountNet": 113.45,
        "invoiceShipping": 0.0,
        "invoiceShippingNet": 0.0,
        "net": 0,
        "taxFree": 0,
        "currency": "EUR",
        "currencyFactor": 1,
        "languageIso": "1",
        "orderTime": "2026-05-01T10:00:05+00:00",
        "transactionId": "order-1",
        "internalComment": "Miinto order 1-m!i!s-045-1234",
        "billing": address,
        "shipping": address,
        "details": [
            {
                "articleId": 32,
                "articleNumber": "KNIT-NAVY-M",
                "articleName": "Cable Knit Jumper",
                "price": 90.0,
                "quantity": 1,
                **detail,
            },
            {
                "articleId": 33,
                "articleNumber": "TEE-WHITE-M",
                "articleName": "Organic Tee",
                "price": 22.5,
                "quantity": 2,
                **detail,
            },
        ],
    }


def test_totals_round_each_lines_net_and_tax_shipping_at_the_highest_rate():
    totals = order_totals([(Decimal("90.00"), 1, Decimal("19")), (Decimal("22.50"), 2, Decimal("7"))], Decimal("4.95"))
    # 90 / 1.19 = 75.63; 45 / 1.07 = 42.06; shipping 4.95 / 1.19 = 4.16
    assert (totals.invoice_amount, totals.invoice_amount_net, totals.invoice_shipping, totals.invoice_shipping_net) == (
        Decimal("139.95"),
        Decimal("121.85"),
        Decimal("4.95"),
        Decimal("4.16"),
    )


@respx.mock
def test_stock_is_one_batch_put_of_absolute_quantities_and_a_refused_item_fails_alone():
    respx.get(f"{API}/variants").respond(
        json={
            "success": True,
            "total": 2,
            "data": [{**p.VARIANTS["data"][0]}, {**p.VARIANTS["data"][0], "id": 130, "number": "TEE-WHITE-M", "inStock": 0}],
        }
    )
    put = respx.put(f"{API}/variants").respond(
        json={
            "success": True,
            "data": [
                {"success": True, "operation": "update", "data": {"id": 124, "location": f"{API}/variants/124"}},
                {"success": False, "message": "Variant by id 130 is locked"},
            ],
        }
    )
    ok, refused = _adapter().adjust_stock(
        [StockChange(key="s1", sku="KNIT-NAVY-S", delta=-1), StockChange(key="s2", sku="TEE-WHITE-M", delta=5)]
    )
    assert _body(put) == [{"id": 124, "inStock": 3}, {"id": 130, "inStock": 5}]
    assert (ok.outcome, ok.quantity) == (StockOutcome.APPLIED, 3)
    assert (refused.outcome, refused.error) == (
        StockOutcome.FAILED,
        "Shopware 5 refused stock for TEE-WHITE-M: Variant by id 130 is locked",
    )


@respx.mock
def test_a_batch_put_that_times_out_is_ambiguous_for_every_change_in_it_and_never_resent():
    respx.get(f"{API}/variants").respond(json=p.VARIANTS)
    put = respx.put(f"{API}/variants").mock(side_effect=httpx.ReadTimeout("read timed out"))
    adapter = _adapter()
    change = StockChange(key="s3", sku="KNIT-NAVY-S", delta=-1)
    assert [r.outcome for r in adapter.adjust_stock([change])] == [StockOutcome.AMBIGUOUS]
    assert [r.outcome for r in adapter.adjust_stock([change])] == [StockOutcome.AMBIGUOUS]
    assert put.call_count == 1


@respx.mock
def test_a_refund_is_payment_status_20_and_our_marker_in_one_put_then_a_restock():
    order = respx.get(f"{API}/orders/15").respond(json=p.ORDER)
    put = respx.put(f"{API}/orders/15").respond(json={"success": True, "data": {"id": 15, "location": f"{API}/orders/15"}})
    respx.get(f"{API}/variants").respond(
        json={"success": True, "total": 1, "data": [{**p.VARIANTS["data"][0], "id": 130, "number": "TEE-WHITE-M", "inStock": 2}]}
    )
    stock = respx.put(f"{API}/variants").respond(json={"success": True, "data": [{"success": True, "operation": "update"}]})
    adapter = _adapter()
    adapter.now = lambda: datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    result = adapter.create_refund(
        RefundRequest(
            key="rma-1",
            order=StoreOrderRef(id="15", reference="order-1"),
            currency="EUR",
            lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),),
            reason="wrong size",
        )
    )
    assert _body(put) == {
        "paymentStatusId": 20,
        "internalComment": "Miinto order 1-m!i!s-045-1234\n[koongo-refund:rma-1 "
        "2026-05-02T09:00:00Z] 1 × TEE-WHITE-M = 22.50; shipping 0.00; total 22.50 EUR; reason: wrong size",
    }
    assert order.call_count == 2  # looked up first (no marker yet), then read for the lines
    assert _body(stock) == [{"id": 130, "inStock": 3}]
    assert (result.created, result.refund.refund_id, result.refund.origin_key, result.refund.item_level) == (
        True,
        "15/rma-1",
        "rma-1",
        False,
    )


@respx.mock
def test_polling_asks_from_the_widest_offset_earlier_and_keeps_what_changed_since_t():
    orders = respx.get(f"{API}/orders").respond(
        json={
            "success": True,
            "total": 2,
            "data": [
                {**LISTED, "changed": "2026-05-01T11:59:00+0200", "trackingCode": "0034043416"},  # 09:59 UTC: before T
                {**LISTED, "id": 16, "changed": "2026-05-01T13:00:00+0200", "trackingCode": "003404341612;003404341613"},
            ],
        }
    )
    respx.get(f"{API}/orders/16").respond(json={**p.ORDER, "data": {**p.ORDER["data"], "id": 16}})
    [shipment] = _adapter().shipments_since(datetime(2026, 5, 1, 10, 10, tzinfo=UTC))
    assert _query(orders) == [
        ("filter[0][property]", "changed"),
        ("filter[0][expression]", ">="),
        ("filter[0][value]", "2026-04-30 20:00:00"),
        ("sort[0][property]", "id"),
        ("sort[0][direction]", "ASC"),
        ("start", "0"),
        ("limit", "100"),
    ]
    assert (shipment.shipment_id, shipment.carrier, shipment.tracking_number, shipment.whole_order) == (
        "16",
        "DHL Paket",
        "003404341612",
        True,
    )
    assert shipment.tracking_url == "https://nolp.dhl.de/nextt-online-public/set_identcodes.do?idc=003404341612"
    assert [(t.number, t.url) for t in shipment.additional_tracking] == [
        ("003404341613", "https://nolp.dhl.de/nextt-online-public/set_identcodes.do?idc=003404341613")
    ]
    assert shipment.created_at == datetime(2026, 5, 1, 11, 0, tzinfo=UTC)


@respx.mock
def test_the_catalog_is_paged_by_start_and_limit_until_the_total_is_reached():
    rows = [{**p.VARIANTS["data"][0], "id": 124 + i, "number": f"KNIT-{i}"} for i in range(3)]
    variants = respx.get(f"{API}/variants").mock(
        side_effect=[
            httpx.Response(200, json={"success": True, "total": 3, "data": rows[:2]}),
            httpx.Response(200, json={"success": True, "total": 3, "data": rows[2:]}),
        ]
    )
    article = respx.get(f"{API}/articles/32").respond(json=p.ARTICLE)
    respx.get(f"{API}/shops/1").respond(json=p.SHOP)
    items = list(_adapter().iter_products(page_size=2))
    assert [item.sku for item in items] == ["KNIT-0", "KNIT-1", "KNIT-2"]
    assert [_query(variants, n) for n in (0, 1)] == [
        [("considerTaxInput", "1"), ("sort[0][property]", "id"), ("sort[0][direction]", "ASC"), ("start", start), ("limit", "2")]
        for start in ("0", "2")
    ]
    assert article.call_count == 2  # once per page: the article is read once for all its variants on that page


@respx.mock
def test_an_order_is_found_by_its_transaction_id_and_a_note_rewrites_the_internal_comment():
    orders = respx.get(f"{API}/orders").respond(json={"success": True, "total": 1, "data": [LISTED]})
    respx.get(f"{API}/orders/15").respond(json=p.ORDER)
    put = respx.put(f"{API}/orders/15").respond(json={"success": True, "data": {"id": 15, "location": f"{API}/orders/15"}})
    adapter = _adapter()
    ref = adapter.find_order_by_reference("order-1")
    assert ref == StoreOrderRef(id="15", reference="order-1", name="20001")
    assert _query(orders) == [
        ("filter[0][property]", "transactionId"),
        ("filter[0][value]", "order-1"),
        ("start", "0"),
        ("limit", "10"),
    ]
    assert adapter.update_order_note(ref, "Labels: https://koongo.example/l/3f9a1c") is True
    assert _body(put) == {"internalComment": "Miinto order 1-m!i!s-045-1234\nLabels: https://koongo.example/l/3f9a1c"}
