"""The exact PrestaShop webservice requests (URL, headers, query, XML bodies), pinned with respx against doc-shaped answers."""

import base64
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from platforms.base import MissingScope, RefundLine, RefundRequest, StockChange, StockOutcome, StoreOrderRef
from platforms.prestashop.adapter import PrestaShopAdapter
from platforms.prestashop.connection import REQUIRED
from tests.platforms import prestashop_payloads as p

KEY = "ZR92FNY5UFRERNI3O9Z5QDHWKTP3YIIT"
API = "https://shop.test/api"
JSON = "JSON"
ALL = {name: " ".join(m for m, names in REQUIRED.items() if name in names) for names in REQUIRED.values() for name in names}


def _adapter(**credentials) -> PrestaShopAdapter:
    return PrestaShopAdapter(
        {"shop_url": "https://shop.test/", "api_key": KEY, "payment_module": "miinto", **credentials}, sleep=lambda seconds: None
    )


def _params(route) -> dict:
    return dict(route.calls.last.request.url.params)


def _settings(mock) -> None:
    mock.get(f"{API}/configurations").respond(json=p.CONFIGURATIONS)
    mock.get(f"{API}/currencies/1").respond(json=p.CURRENCY)


@respx.mock
def test_connection_reads_the_xml_root_with_the_key_as_basic_user_then_the_settings():
    root = respx.get(f"{API}/").respond(text=p.api_root(ALL), headers={"PSWS-Version": "8.1.7", "Content-Type": "text/xml"})
    configurations = respx.get(f"{API}/configurations").respond(json=p.CONFIGURATIONS)
    respx.get(f"{API}/currencies/1").respond(json=p.CURRENCY)
    info = _adapter().test_connection()
    request = root.calls.last.request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert request.url.params.get("output_format") is None  # the permissions are only in the XML rendering
    assert _params(configurations) == {
        "display": "[name,value]",
        "output_format": JSON,
        "filter[name]": "[PS_CURRENCY_DEFAULT|PS_LANG_DEFAULT|PS_TIMEZONE|PS_CARRIER_DEFAULT|PS_OS_REFUND|PS_OS_ERROR|PS_OS_WS_PAYMENT]",
    }
    assert (info.name, info.currency, info.prices_include_tax, info.platform_version) == ("Nordkyst Shop", "DKK", False, "8.1.7")
    assert "order_slip (POST)" in info.scopes


@respx.mock
def test_a_key_missing_permissions_is_refused_naming_each_one():
    permissions = {**ALL, "order_slip": "GET", "stock_availables": "GET", "customer_messages": "GET POST"}
    del permissions["taxes"]
    respx.get(f"{API}/").respond(text=p.api_root(permissions))
    with pytest.raises(MissingScope) as raised:
        _adapter().test_connection()
    assert (
        str(raised.value) == "PrestaShop credentials lack the permissions: order_slip (POST), stock_availables (PUT), taxes (GET)"
    )
    assert raised.value.missing == ("order_slip (POST)", "stock_availables (PUT)", "taxes (GET)")
    assert len(respx.calls) == 1


@respx.mock
def test_a_wrong_key_and_a_resource_the_key_lacks_are_told_apart():
    respx.get(f"{API}/").respond(401, json={"errors": [{"code": 21, "message": "Authentication key is not active"}]})
    respx.get(f"{API}/order_slip").respond(
        401, json={"errors": [{"code": 26, "message": 'Resource of type "order_slip" is not allowed'}]}
    )
    with pytest.raises(Exception) as wrong:
        _adapter().test_connection()
    assert str(wrong.value) == "PrestaShop shop.test refused the webservice key (401): Authentication key is not active"
    with pytest.raises(MissingScope) as lacking:
        _adapter().client.list("order_slip")
    assert lacking.value.missing == ("order_slip (GET)",)


@respx.mock
def test_lookup_by_reference_filters_combinations_and_products_and_asks_for_tax_included_prices():
    _settings(respx)
    combinations = respx.get(f"{API}/combinations").respond(json=p.COMBINATIONS)
    products = respx.get(f"{API}/products").mock(side_effect=[httpx.Response(200, json=[]), httpx.Response(200, json=p.PRODUCTS)])
    stock = respx.get(f"{API}/stock_availables").respond(json=p.STOCK_AVAILABLES)
    respx.get(f"{API}/product_options").respond(json=p.OPTIONS)
    values = respx.get(f"{API}/product_option_values").respond(json=p.OPTION_VALUES)
    respx.get(f"{API}/categories").respond(json=p.CATEGORIES)
    [item] = _adapter().get_products(["KNIT-NAVY-S", "NO,SUCH"], "sku")
    prices = {
        "price[final_price][use_tax]": "1",
        "price[original_price][use_tax]": "1",
        "price[original_price][use_reduction]": "0",
    }
    assert dict(combinations.calls[0].request.url.params) == {
        "display": "full",
        "filter[reference]": "[KNIT-NAVY-S|NO,SUCH]",
        "sort": "[id_ASC]",
        "limit": "0,500",
        "output_format": JSON,
        **prices,
    }
    assert dict(products.calls[1].request.url.params) == {
        "display": "full",
        "filter[id]": "[12|12]",
        "output_format": JSON,
        **prices,
    }
    assert _params(stock) == {
        "display": "[id,id_product,id_product_attribute,quantity]",
        "filter[id_product]": "[12|12]",
        "output_format": JSON,
    }
    assert _params(values) == {"display": "[id,id_attribute_group,name]", "filter[id]": "[5|8]", "output_format": JSON}
    assert (item.product_id, item.variant_id, item.identifiers) == (
        "12",
        "40",
        {"id": "12-40", "sku": "KNIT-NAVY-S", "gtin": "5712345000014", "mpn": "KN-01"},
    )
    assert (item.title, item.brand, item.color, item.size, item.category, item.stock) == (
        "Cable Knit Jumper",
        "Nordkyst",
        "Navy",
        "S",
        "Knitwear",
        4,
    )
    assert (item.final_price.amount, item.original_price.amount, item.final_price.tax_included) == (
        Decimal("100.00"),
        Decimal("125.00"),
        True,
    )
    assert item.image_urls == ("https://shop.test/img/p/3/2/32.jpg", "https://shop.test/img/p/3/1/31.jpg")


@respx.mock
def test_a_stock_change_puts_the_whole_record_back_once():
    respx.get(f"{API}/combinations").respond(json={"combinations": [{"id": 40, "id_product": "12", "reference": "KNIT-NAVY-S"}]})
    respx.get(f"{API}/products").respond(json=[])
    read = respx.get(f"{API}/stock_availables").respond(json=p.STOCK_AVAILABLE_FULL)
    put = respx.put(f"{API}/stock_availables/71").respond(json={"stock_available": p.STOCK_AVAILABLE_FULL["stock_availables"][0]})
    [result] = _adapter().adjust_stock([StockChange(key="sale-1", sku="KNIT-NAVY-S", delta=-3)])
    assert (result.outcome, result.quantity) == (StockOutcome.APPLIED, 1)
    assert _params(read) == {
        "display": "full",
        "filter[id_product]": "[12|12]",
        "filter[id_product_attribute]": "[40|40]",
        "output_format": JSON,
    }
    request = put.calls.last.request
    assert request.headers["Content-Type"] == "application/xml"
    assert request.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink"><stock_available>'
        "<id>71</id><id_product>12</id_product><id_product_attribute>40</id_product_attribute><id_shop>1</id_shop>"
        "<id_shop_group>0</id_shop_group><quantity>1</quantity><depends_on_stock>0</depends_on_stock><out_of_stock>2</out_of_stock>"
        "<location /></stock_available></prestashop>"
    )


@respx.mock
def test_a_stock_write_that_times_out_is_ambiguous_and_never_sent_again():
    respx.get(f"{API}/combinations").respond(json={"combinations": [{"id": 40, "id_product": "12", "reference": "KNIT-NAVY-S"}]})
    respx.get(f"{API}/products").respond(json=[])
    respx.get(f"{API}/stock_availables").respond(json=p.STOCK_AVAILABLE_FULL)
    put = respx.put(f"{API}/stock_availables/71").mock(side_effect=httpx.ReadTimeout("read timed out"))
    adapter = _adapter()
    change = StockChange(key="sale-2", sku="KNIT-NAVY-S", delta=-1)
    [first] = adapter.adjust_stock([change])
    [second] = adapter.adjust_stock([change])
    assert (first.outcome, second.outcome) == (StockOutcome.AMBIGUOUS, StockOutcome.AMBIGUOUS)
    assert first.error == "the write was sent and not confirmed: timed out: ReadTimeout"
    assert put.call_count == 1


@respx.mock
def test_a_refund_posts_the_slip_with_its_rows_then_the_refunded_state_without_email():
    _settings(respx)
    respx.get(f"{API}/orders/5").respond(json=p.ORDER)
    slips = respx.get(f"{API}/order_slip").mock(
        side_effect=[
            httpx.Response(200, json=[]),
            httpx.Response(
                200,
                json={
                    "order_slip": [
                        {
                            **p.ORDER_SLIP["order_slip"],
                            "associations": {
                                "order_slip_details": [
                                    {"id_order_detail": "21", "product_quantity": "1"},
                                    {"id_order_detail": "22", "product_quantity": "2"},
                                ]
                            },
                        }
                    ]
                },
            ),
        ]
    )
    # Read once before the slip (nothing refunded yet) and once after it, to decide the order state.
    respx.get(f"{API}/customer_threads").respond(json={"customer_threads": [{"id": 6, "id_order": "5"}]})
    respx.get(f"{API}/customer_messages").respond(json=[])
    messages = respx.post(f"{API}/customer_messages").respond(201, json={"customer_message": {"id": 50}})
    created = respx.post(f"{API}/order_slip").respond(201, json={"order_slip": {"id": 3}})
    respx.get(f"{API}/order_slip/3").respond(json=p.ORDER_SLIP)
    state = respx.post(f"{API}/order_histories").respond(201, json={"order_history": {"id": 40}})
    request = RefundRequest(
        key="rma-9",
        order=StoreOrderRef(id="5", reference="order-1"),
        currency="DKK",
        restock=False,
        shipping_amount=Decimal("4.95"),
        reason="damaged",
        lines=(RefundLine(sku="KNIT-NAVY-M", quantity=1), RefundLine(line_id="22", quantity=2, amount=Decimal("40"))),
    )
    adapter = _adapter()
    adapter.now = lambda: datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    result = adapter.create_refund(request)
    assert created.calls.last.request.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink"><order_slip>'
        "<id_customer>4</id_customer><id_order>5</id_order><conversion_rate>1.000000</conversion_rate>"
        "<total_products_tax_excl>104.00</total_products_tax_excl><total_products_tax_incl>130.00</total_products_tax_incl>"
        "<total_shipping_tax_excl>3.96</total_shipping_tax_excl><total_shipping_tax_incl>4.95</total_shipping_tax_incl>"
        "<amount>130.00</amount><shipping_cost>1</shipping_cost><shipping_cost_amount>4.95</shipping_cost_amount>"
        "<partial>1</partial><order_slip_type>0</order_slip_type><associations><order_slip_details>"
        "<order_slip_detail><id_order_detail>21</id_order_detail><product_quantity>1</product_quantity>"
        "<amount_tax_excl>72.00</amount_tax_excl><amount_tax_incl>90.00</amount_tax_incl></order_slip_detail>"
        "<order_slip_detail><id_order_detail>22</id_order_detail><product_quantity>2</product_quantity>"
        "<amount_tax_excl>32.00</amount_tax_excl><amount_tax_incl>40.00</amount_tax_incl></order_slip_detail>"
        "</order_slip_details></associations></order_slip></prestashop>"
    )
    intent, claim = (call.request.content.decode() for call in messages.calls)
    assert intent.endswith(
        "<message>[koongo-refund:rma-9 2026-05-01T10:30:00Z] 1 × KNIT-NAVY-M = 90.00, 2 × TEE-WHITE-M = 40.00; shipping 4.95; "
        "total 134.95 DKK; reason: damaged\n[koongo-refund-intent:rma-9] after order slip 0</message><private>1</private>"
        "</customer_message></prestashop>"
    )
    assert "<message>[koongo-refund-slip:rma-9] order slip 3</message>" in claim
    assert _params(slips) == {"display": "full", "filter[id_order]": "[5|5]", "sort": "[id_ASC]", "output_format": JSON}
    assert dict(state.calls.last.request.url.params) == {"sendemail": "0", "output_format": JSON}
    assert (
        "<order_history><id_order>5</id_order><id_order_state>7</id_order_state></order_history>"
        in state.calls.last.request.content.decode()
    )
    assert (result.created, result.refund.refund_id, result.refund.origin_key) == (True, "order_slip/3", "rma-9")


@respx.mock
def test_refund_polling_sends_full_local_date_times_reaching_past_today():
    _settings(respx)
    slips = respx.get(f"{API}/order_slip").respond(json=[])
    histories = respx.get(f"{API}/order_histories").respond(json=[])
    adapter = _adapter()
    adapter.now = lambda: datetime(2026, 5, 2, 21, 30, tzinfo=UTC)  # 23:30 in Copenhagen
    assert adapter.refunds_since(datetime(2026, 5, 1, 10, 0, tzinfo=UTC)) == []
    window = "[2026-05-01 11:50:00,2026-05-03 23:59:59]"  # 10:00 UTC minus the overlap, in CEST; never a bare date
    assert _params(slips) == {
        "display": "full",
        "filter[date_add]": window,
        "date": "1",
        "sort": "[id_ASC]",
        "limit": "0,100",
        "output_format": JSON,
    }
    assert _params(histories)["filter[id_order_state]"] == "[7|7]"


@respx.mock
def test_shipments_are_orders_updated_since_t_in_a_shipped_state_with_the_carriers_tracking_url():
    _settings(respx)
    orders = respx.get(f"{API}/orders").respond(json=p.SHIPPED_ORDERS)
    respx.get(f"{API}/order_states").respond(json=p.ORDER_STATES)
    carriers_of = respx.get(f"{API}/order_carriers").respond(json=p.ORDER_CARRIERS)
    respx.get(f"{API}/order_histories").respond(json=p.ORDER_HISTORIES)
    respx.get(f"{API}/carriers").respond(json=p.CARRIERS)
    respx.get(f"{API}/addresses").respond(json=p.ADDRESSES)
    adapter = _adapter()
    adapter.now = lambda: datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
    [shipment] = adapter.shipments_since(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    assert _params(orders) == {
        "display": "[id,reference,current_state,id_address_delivery,date_upd]",
        "filter[date_upd]": "[2026-05-01 13:50:00,2026-05-02 23:59:59]",
        "date": "1",
        "sort": "[id_ASC]",
        "limit": "0,100",
        "output_format": JSON,
    }
    assert _params(carriers_of)["filter[id_order]"] == "[5|5]"  # order 6 is not in a shipped state
    assert (shipment.shipment_id, shipment.order, shipment.carrier, shipment.tracking_number, shipment.whole_order) == (
        "9",
        StoreOrderRef(id="5", reference="order-1", name="XKBKNABJK"),
        "DHL Express",
        "00340434161234567890",
        True,
    )
    assert shipment.tracking_url == "https://www.dhl.com/dk-en/home/tracking.html?tracking-id=00340434161234567890"
    assert (shipment.created_at, shipment.updated_at) == (
        datetime(2026, 5, 1, 13, 10, tzinfo=UTC),
        datetime(2026, 5, 1, 13, 10, tzinfo=UTC),
    )


@respx.mock
def test_an_order_is_built_from_customer_address_cart_and_cart_scoped_prices_then_noted():
    from tests.platforms.contract.catalog import make_draft

    _settings(respx)
    respx.get(f"{API}/addresses").respond(json=[])
    # PrestaShop's own prices for the delivery country: net and gross give the tax rate, final the catalog price.
    combinations = respx.get(f"{API}/combinations").respond(
        json={
            "combinations": [
                {"id": 41, "id_product": "12", "reference": "KNIT-NAVY-M", "koongo_net": "80.000000",
                 "koongo_gross": "100.000000", "koongo_final": "100.000000"},
                {"id": 44, "id_product": "13", "reference": "TEE-WHITE-M", "koongo_net": "18.000000",
                 "koongo_gross": "22.500000", "koongo_final": "22.500000"},
            ]
        }
    )
    products = respx.get(f"{API}/products").respond(json=[])
    respx.get(f"{API}/customers").respond(json=[])
    respx.get(f"{API}/currencies").respond(json={"currencies": [{"id": 1, "iso_code": "DKK", "conversion_rate": "1.000000"}]})
    countries = respx.get(f"{API}/countries").respond(json={"countries": [{"id": 20, "iso_code": "DK"}]})
    customer = respx.post(f"{API}/customers").respond(201, json={"customer": {"id": 4, "secure_key": "45a8c9b7e2"}})
    address = respx.post(f"{API}/addresses").respond(201, json={"address": {"id": 11}})
    cart = respx.post(f"{API}/carts").respond(201, json={"cart": {"id": 8}})
    prices = respx.post(f"{API}/specific_prices").respond(201, json={"specific_price": {"id": 90}})
    order = respx.post(f"{API}/orders").respond(
        201,
        json={"order": {"id": 5, "reference": "XKBKNABJK", "id_customer": "4", "id_lang": "1", "id_shop": "1", "current_state": "11"}},
    )
    thread = respx.post(f"{API}/customer_threads").respond(201, json={"customer_thread": {"id": 6}})
    note = respx.post(f"{API}/customer_messages").respond(201, json={"customer_message": {"id": 50}})

    ref = _adapter().create_order(make_draft("order-1", "DKK"))

    assert ref == StoreOrderRef(id="5", reference="order-1", name="XKBKNABJK")
    assert _params(countries)["filter[iso_code]"] == "[DK|DK]"
    assert {k: v for k, v in _params(combinations).items() if k.startswith("price[")} == {
        "price[koongo_net][use_tax]": "0",
        "price[koongo_net][use_reduction]": "0",
        "price[koongo_gross][use_tax]": "1",
        "price[koongo_gross][use_reduction]": "0",
        "price[koongo_gross][country]": "20",
        "price[koongo_final][use_tax]": "1",
        "price[koongo_final][country]": "20",
    }
    assert not products.called  # every reference is a combination's
    assert "<email>karen@example.com</email>" in customer.calls.last.request.content.decode()
    assert address.calls.last.request.content.decode().endswith(
        "<address><id_customer>4</id_customer><id_country>20</id_country><alias>Miinto miinto-order-1</alias>"
        "<firstname>Karen</firstname><lastname>Blixen</lastname><address1>Strandvejen 111</address1><postcode>2960</postcode>"
        "<city>Rungsted Kyst</city><phone>+4512345678</phone><other>koongo-order:order-1</other></address></prestashop>"
    )
    assert cart.calls.last.request.content.decode().endswith(
        "<cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>4</id_customer><id_address_delivery>11</id_address_delivery>"
        "<id_address_invoice>11</id_address_invoice><id_carrier>2</id_carrier><delivery_option>{\"11\":\"2,\"}</delivery_option>"
        "<secure_key>45a8c9b7e2</secure_key><associations>"
        "<cart_rows><cart_row><id_product>12</id_product><id_product_attribute>41</id_product_attribute>"
        "<id_address_delivery>11</id_address_delivery><quantity>1</quantity></cart_row><cart_row><id_product>13</id_product>"
        "<id_product_attribute>44</id_product_attribute><id_address_delivery>11</id_address_delivery><quantity>2</quantity>"
        "</cart_row></cart_rows></associations></cart></prestashop>"
    )
    # Only the jumper is sold below the catalog price (90.00 vs 100.00); the tee's 22.50 is what PrestaShop charges.
    assert [call.request.content.decode().split("<specific_price>")[1] for call in prices.calls] == [
        "<id_shop>0</id_shop><id_shop_group>0</id_shop_group><id_cart>8</id_cart><id_product>12</id_product>"
        "<id_product_attribute>41</id_product_attribute><id_currency>0</id_currency><id_country>0</id_country><id_group>0</id_group>"
        "<id_customer>0</id_customer><price>72.000000</price><from_quantity>1</from_quantity><reduction>0</reduction>"
        "<reduction_tax>1</reduction_tax><reduction_type>amount</reduction_type><from>0000-00-00 00:00:00</from>"
        "<to>0000-00-00 00:00:00</to></specific_price></prestashop>",
    ]
    assert order.calls.last.request.content.decode().endswith(
        "<order><id_address_delivery>11</id_address_delivery><id_address_invoice>11</id_address_invoice><id_cart>8</id_cart>"
        "<id_currency>1</id_currency><id_lang>1</id_lang><id_customer>4</id_customer><id_carrier>2</id_carrier><module>miinto</module>"
        "<payment>Miinto</payment><total_paid>135.00</total_paid><total_paid_real>135.00</total_paid_real>"
        "<total_products>108.00</total_products><total_products_wt>135.00</total_products_wt><conversion_rate>1.000000</conversion_rate>"
        "</order></prestashop>"
    )
    assert "<id_order>5</id_order>" in thread.calls.last.request.content.decode()
    assert note.calls.last.request.content.decode().endswith(
        "<customer_message><id_customer_thread>6</id_customer_thread><id_employee>0</id_employee>"
        "<message>Miinto order 1-m!i!s-045-1234</message><private>1</private></customer_message></prestashop>"
    )


@respx.mock
def test_the_catalog_is_paged_by_offset_sorted_by_id_and_a_short_page_ends_it():
    _settings(respx)
    products = respx.get(f"{API}/products").mock(
        side_effect=[
            httpx.Response(
                200, json={"products": [{**p.PRODUCTS["products"][0], "associations": {}, "id": 12, "reference": "CAP-1"}]}
            ),
            httpx.Response(200, json=[]),
        ]
    )
    for resource in ("stock_availables", "categories"):
        respx.get(f"{API}/{resource}").respond(json=[])
    [item] = list(_adapter().iter_products(page_size=1))
    prices = {
        "price[final_price][use_tax]": "1",
        "price[original_price][use_tax]": "1",
        "price[original_price][use_reduction]": "0",
    }
    assert [dict(call.request.url.params) for call in products.calls] == [
        {"display": "full", "sort": "[id_ASC]", "limit": f"{offset},1", "output_format": JSON, **prices} for offset in (0, 1)
    ]
    assert (item.identifiers, item.variant_id) == ({"id": "12", "sku": "CAP-1"}, None)


@respx.mock
def test_an_order_is_found_by_the_marker_on_its_delivery_address():
    addresses = respx.get(f"{API}/addresses").respond(
        json={"addresses": [{"id": 11, "other": "koongo-order:order%7C1"}, {"id": 12, "other": "koongo-order:order%7C1-older"}]}
    )
    orders = respx.get(f"{API}/orders").respond(json={"orders": [{"id": 5, "reference": "XKBKNABJK"}]})
    assert _adapter().find_order_by_reference("order|1") == StoreOrderRef(id="5", reference="order|1", name="XKBKNABJK")
    assert _params(addresses) == {
        "display": "[id,id_customer,other]",
        "filter[other]": "[koongo-order:order%7C1|koongo-order:order%7C1]",
        "output_format": JSON,
    }
    assert _params(orders) == {
        "display": "[id,reference]",
        "filter[id_address_delivery]": "[11|11]",
        "sort": "[id_ASC]",
        "output_format": JSON,
    }
