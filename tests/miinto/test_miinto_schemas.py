"""Tests for miinto/schemas.py: minor units to Decimal and back, realistic payloads, rejects, privileges shapes."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from miinto.schemas import (
    Channel,
    Money,
    Order,
    ProductMapRow,
    Return,
    ShipmentRequest,
    StockItem,
    StockPushResult,
    Transfer,
    TransferDecision,
    TransferDetail,
    from_minor_units,
    parse_page,
    privileged_shops,
    to_minor_units,
)

DKK = {"currency": "DKK"}


def test_minor_units_become_decimal_with_the_currency_precision():
    assert from_minor_units(49900, "DKK") == Money(Decimal("499.00"), "DKK")
    assert str(from_minor_units(100099, "EUR").amount) == "1000.99"
    assert from_minor_units(5, "CNY") == Money(Decimal("0.05"), "CNY")
    assert from_minor_units("1999", "SEK").amount == Decimal("19.99")
    with pytest.raises(ValueError, match="unknown currency"):
        from_minor_units(100, "USD")
    with pytest.raises(ValueError, match="integer number of minor units"):
        from_minor_units(12.5, "DKK")
    with pytest.raises(ValueError, match="integer number of minor units"):
        from_minor_units(True, "DKK")


def test_to_minor_units_rounds_half_up():
    assert to_minor_units(Decimal("1000.99"), "EUR") == 100099
    assert to_minor_units(Decimal("19.995"), "GBP") == 2000
    assert to_minor_units(Decimal("19.994"), "GBP") == 1999
    assert to_minor_units("499", "DKK") == 49900
    assert Money(Decimal("12.34"), "PLN").minor_units == 1234


TRANSFER_PAGE = [
    {
        "id": 987654,
        "createdAt": "2021-12-01T08:00:00+01:00",
        "pendingPositions": [
            {
                "id": 111,
                "quantity": 1,
                "price": 49900,
                "item": {"gtin": 5790001000011, "name": "Coat", "brand": "Nordlys", "color": "x"},
            }
        ],
        "someNewField": {"ignored": True},
    },
    {"id": 987655, "pendingPositions": [{"id": 113, "quantity": 2, "price": "oops", "item": {"gtin": "5790001000028"}}]},
    {"id": 987656, "pendingPositions": []},
]


def test_one_broken_record_does_not_sink_the_page():
    page = parse_page(Transfer, TRANSFER_PAGE, total=3, context=DKK)
    assert [t.id for t in page.items] == [987654, 987656]
    assert page.total == 3 and page.size == 3
    assert len(page.rejects) == 1
    assert page.rejects[0].raw == TRANSFER_PAGE[1]
    assert "pendingPositions.0" in page.rejects[0].error and "minor units" in page.rejects[0].error
    first = page.items[0].pending_positions[0]
    assert first.price == Money(Decimal("499.00"), "DKK")
    assert first.item.gtin == "5790001000011"
    assert page.items[0].created_at == datetime(2021, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=1)))


def test_a_transfer_price_without_a_currency_is_rejected():
    page = parse_page(Transfer, TRANSFER_PAGE[:1])
    assert page.items == [] and "needs a currency" in page.rejects[0].error


def test_a_list_that_is_not_a_list_raises():
    with pytest.raises(ValueError, match="expected a list"):
        parse_page(Transfer, {"id": 1})


ORDER = {
    "id": 123456,
    "status": "accepted",
    "parentOrder": {"id": 7654321, "createdAt": "2021-12-01T08:00:00+01:00"},
    "currency": "EUR",
    "acceptedPositions": [
        {
            "id": 111,
            "quantity": 2,
            "price": 4995,
            "item": {"gtin": "5790001000011", "name": "T-shirt", "brand": "Havn", "productId": "p-1"},
        }
    ],
    "billingInformation": {
        "name": "Anna  Maria Berg",
        "email": "anna@example.com",
        "phone": "+49 1234",
        "address": {"street": "Torstraße 1", "postcode": "10119", "city": "Berlin", "countryCode": "DE"},
    },
    "shippingInformation": {
        "deliveryAddress": {
            "name": "Anna Berg",
            "type": "ParcelShopDelivery",
            "address": {"street": "Kiosk 2", "postcode": "10115", "city": "Berlin", "countryCode": "DE"},
        },
        "deliveryOptions": {"initial": {"providerId": "dhl-de"}, "override": {"providerId": "hermes-de"}},
    },
}


def test_a_realistic_order():
    order = Order.model_validate(ORDER)
    position = order.accepted_positions[0]
    assert (order.id, order.parent_order.id, order.currency) == (123456, 7654321, "EUR")
    assert position.price == Money(Decimal("49.95"), "EUR") and position.quantity == 2
    assert position.item.product_id == "p-1"
    assert (order.billing_information.first_name, order.billing_information.last_name) == ("Anna", "Maria Berg")
    assert order.billing_information.address.country_code == "DE"
    assert order.shipping_information.delivery_address.type == "ParcelShopDelivery"
    assert order.shipping_information.delivery_options.provider_id == "hermes-de"


def test_transfer_detail_and_return():
    detail = TransferDetail.model_validate(
        {
            "id": 1,
            "status": "decided",
            "positions": [{"id": 5, "quantity": 1, "price": 100, "item": {}, "status": "accepted"}],
            "newOrder": {"id": 9},
        },
        context=DKK,
    )
    assert (detail.new_order.id, detail.positions[0].status, detail.positions[0].price.amount) == (9, "accepted", Decimal("1.00"))
    returned = Return.model_validate(
        {
            "id": 50,
            "orderId": 123456,
            "status": "pending",
            "origin": "customer",
            "createdAt": "2024-03-01T10:00:00+00:00",
            "reason": "Too small",
            "customerComment": "Lovely, but small",
            "positions": [{"id": 1, "orderPositionId": 111, "quantity": 1, "price": 29900, "currency": "SEK", "reason": None}],
        }
    )
    assert returned.positions[0].price == Money(Decimal("299.00"), "SEK")
    assert returned.customer_comment == "Lovely, but small"


def test_requests_serialise_to_camel_case_and_leave_out_what_is_unset():
    decision = TransferDecision(accepted_positions=[{"id": 111}])
    assert decision.wire() == {"acceptedPositions": [{"id": 111}]}
    assert ShipmentRequest(shipping_provider_id="gls-dk", track_and_trace="TT").wire() == {
        "shippingProviderId": "gls-dk",
        "trackAndTrace": "TT",
    }
    assert StockItem(stock=3, group="G", brand="B", color="C", size="M").wire() == {
        "stock": 3,
        "group": "G",
        "brand": "B",
        "color": "C",
        "size": "M",
    }
    with pytest.raises(ValueError):
        StockItem(stock=-1, group="G", brand="B", color="C", size="M")


def test_stock_answers_add_up():
    total = StockPushResult.combined(
        [
            StockPushResult(updated=500, unknown=[]),
            StockPushResult.model_validate({"updated": 1, "unknown": [{"group": "G", "brand": "B", "color": "C", "size": "S"}]}),
        ]
    )
    assert total.updated == 501 and [k.size for k in total.unknown] == ["S"]


def test_product_map_rows_are_four_tuples():
    page = parse_page(ProductMapRow, [["NT-1001", "NT-1001-CAM-S", 5790001000011, "9b81-uuid"], ["too", "short"]])
    assert page.items == [
        ProductMapRow(style_id="NT-1001", feed_id="NT-1001-CAM-S", gtin="5790001000011", miinto_item_id="9b81-uuid")
    ]
    assert "4 values" in page.rejects[0].error


BOTH = {
    "__GLOBAL__": {"Store": {"1-m!i!s-045-1101": ["Order:read"], "1-m!i!s-086-1107": ["Order:read"]}},
    "Miinto-DK": {"ShopAdmin": {"1-m!i!s-045-1101": {}}},
    "Miinto-CN": {"ShopAdmin": {"1-m!i!s-086-1107": {}}},
}


def test_privileges_in_both_shapes_and_each_alone():
    assert privileged_shops(BOTH) == [("1-m!i!s-045-1101", "DK"), ("1-m!i!s-086-1107", "CN")]
    assert privileged_shops({"__GLOBAL__": BOTH["__GLOBAL__"]}) == [("1-m!i!s-045-1101", None), ("1-m!i!s-086-1107", None)]
    market_only = {"__GLOBAL__": {}, "Miinto-DK": BOTH["Miinto-DK"], "Miinto-cn": BOTH["Miinto-CN"]}
    assert privileged_shops(market_only) == [("1-m!i!s-045-1101", "DK"), ("1-m!i!s-086-1107", "CN")]
    assert privileged_shops({"__GLOBAL__": {"Store": {}}, "Miinto-DK": BOTH["Miinto-DK"]}) == [("1-m!i!s-045-1101", "DK")]
    assert privileged_shops({}) == []


def test_a_login_answer_with_php_empty_privileges():
    channel = Channel.model_validate({"id": "M!t!Ch!v1!1", "token": "t" * 40, "accessorId": 7, "privileges": []})
    assert channel.privileges == {} and "t" * 40 not in repr(channel)
