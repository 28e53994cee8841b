"""PrestaShop behaviour the contract suite does not pin: slip rows and amounts, order states, the end-day filter, adoption."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from koongo.http import PermanentError
from platforms.base import RefundLine, RefundRequest
from platforms.prestashop import sandbox_webservice as ws
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.contract.harness import StoreHarness


def _shop():
    harness = StoreHarness.start("prestashop")
    harness.app.seed_products(CATALOG)
    adapter = harness.adapter()
    return harness, adapter, adapter.create_order(make_draft("ps-1", "DKK"))


def _refund(ref, key, *lines, shipping="0", restock=True):
    return RefundRequest(
        key=key,
        order=ref,
        currency="DKK",
        shipping_amount=Decimal(shipping),
        restock=restock,
        lines=tuple(RefundLine(sku=sku, quantity=quantity, amount=amount) for sku, quantity, amount in lines),
    )


def test_a_slip_carries_each_row_with_its_quantity_and_amounts_and_the_state_follows_the_slips():
    harness, adapter, ref = _shop()
    app = harness.app
    result = adapter.create_refund(
        _refund(ref, "rma-1", ("KNIT-NAVY-M", 1, None), ("TEE-WHITE-M", 1, Decimal("20.00")), shipping="4.95")
    )
    [slip] = app.tables["order_slip"].rows.values()
    rows = {row["product_reference"]: row["id"] for row in app.tables["orders"].get(int(ref.id))["associations"]["order_rows"]}
    assert [
        (int(d["id_order_detail"]), d["product_quantity"], d["amount_tax_excl"], d["amount_tax_incl"])
        for d in slip["associations"]["order_slip_details"]
    ] == [(rows["KNIT-NAVY-M"], "1", "72.00", "90.00"), (rows["TEE-WHITE-M"], "1", "16.00", "20.00")]
    assert (
        slip["total_products_tax_incl"],
        slip["total_products_tax_excl"],
        slip["total_shipping_tax_incl"],
        slip["total_shipping_tax_excl"],
        slip["partial"],
    ) == ("110.00", "88.00", "4.95", "3.96", "1")
    assert [(line.sku, line.quantity, line.amount) for line in result.refund.lines] == [
        ("KNIT-NAVY-M", 1, Decimal("90.00")),
        ("TEE-WHITE-M", 1, Decimal("20.00")),
    ]
    assert result.refund.total.amount == Decimal("114.95")
    assert app.orders_summary("ps-1")[0]["state"] == 2  # partly refunded: no "Refunded" state without a configured one
    assert [(r.sku, r.quantity) for r in result.restocked] == [("KNIT-NAVY-M", 10), ("TEE-WHITE-M", 2)]

    adapter.create_refund(_refund(ref, "rma-2", ("TEE-WHITE-M", 1, None)))
    assert app.orders_summary("ps-1")[0]["state"] == 7  # every row is now on a slip
    assert [h["id_order_state"] for h in app.tables["order_histories"].where(id_order=ref.id)] == ["2", "7"]


def test_refunds_beyond_what_is_left_on_the_order_are_refused_and_post_nothing():
    harness, adapter, ref = _shop()
    adapter.create_refund(_refund(ref, "rma-1", ("TEE-WHITE-M", 2, None)))
    with pytest.raises(PermanentError) as refused:
        adapter.create_refund(_refund(ref, "rma-2", ("TEE-WHITE-M", 1, None)))
    assert str(refused.value) == f"PrestaShop order {ref.id} has no refundable row TEE-WHITE-M × 1"
    assert len(harness.app.tables["order_slip"].rows) == 1


def test_a_slip_posted_before_a_timeout_is_adopted_once_and_a_store_slip_is_not():
    harness, adapter, ref = _shop()
    harness.app.make_refund(ref.id, [{"sku": "TEE-WHITE-M", "quantity": 1}])  # the merchant's, before ours
    harness.time_out("refund_create", after=True)
    result = adapter.create_refund(_refund(ref, "rma-7", ("TEE-WHITE-M", 1, None), restock=False))
    assert harness.transport.timeout_after == 0
    slips = list(harness.app.tables["order_slip"].rows)
    assert (len(slips), result.created, result.refund.refund_id) == (2, True, f"order_slip/{slips[1]}")
    notes = [m["message"] for m in harness.app.messages_of(int(ref.id))]
    assert notes[-1] == f"[koongo-refund-slip:rma-7] order slip {slips[1]}"
    assert adapter.create_refund(_refund(ref, "rma-7", ("TEE-WHITE-M", 1, None), restock=False)).created is False


def test_a_slip_added_late_today_is_found_though_a_date_only_filter_misses_it():
    harness, adapter, ref = _shop()
    app = harness.app
    late = datetime.now(UTC).replace(microsecond=0)
    slip_id = app.make_refund(ref.id, [{"sku": "KNIT-NAVY-M", "quantity": 1}])
    today = app.stamp()[:10]
    buggy = ws.query_rows(app.tables["order_slip"], [("filter[date_add]", f"[{today},{today}]"), ("date", "1")])
    assert buggy == []  # PrestaShop #10822: the bare end date is read as midnight
    assert [refund.refund_id for refund in adapter.refunds_since(late)] == [slip_id]


def test_an_order_set_to_refunded_without_a_slip_is_a_refund_of_the_rows_no_slip_covers():
    harness, adapter, ref = _shop()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    slip_id = harness.app.make_refund(ref.id, [{"sku": "TEE-WHITE-M", "quantity": 1}])
    history_id = harness.app.refund_by_state(ref.id)
    found = {refund.refund_id: refund for refund in adapter.refunds_since(start)}
    assert set(found) == {slip_id, history_id}
    inferred = found[history_id]
    assert (inferred.item_level, inferred.origin_key, inferred.order.reference) == (False, None, "ps-1")
    assert sorted((line.sku, line.quantity, line.amount) for line in inferred.lines) == [
        ("KNIT-NAVY-M", 1, Decimal("90.00")),
        ("TEE-WHITE-M", 1, Decimal("22.50")),
    ]
    assert inferred.total.amount == Decimal("112.50")


def test_a_reference_the_webservice_cannot_filter_is_found_by_reading_the_catalog():
    harness = StoreHarness.start("prestashop")
    harness.app.seed_products([{"sku": "CAP|BLACK", "title": "Wool Cap", "price": "62.50", "stock": 5}, *CATALOG[3:4]])
    found = harness.adapter().get_products(["CAP|BLACK", "TEE-WHITE-M"], "sku")
    assert sorted((item.sku, item.stock, item.final_price.amount) for item in found) == [
        ("CAP|BLACK", 5, Decimal("62.50")),
        ("TEE-WHITE-M", 3, Decimal("25.00")),
    ]
    # A | inside a filter value would split it into two values, so that reference is never sent as a filter.
    assert not any("CAP%7CBLACK" in entry["query"] for entry in harness.app.requests)


def test_the_miinto_price_reaches_the_order_through_the_cart_and_a_matching_total_is_not_a_payment_error():
    harness, adapter, ref = _shop()
    [order] = harness.app.orders_summary("ps-1")
    assert order["state"] == 2
    assert sorted((line["sku"], line["unit_price"]) for line in order["lines"]) == [
        ("KNIT-NAVY-M", "90.00"),
        ("TEE-WHITE-M", "22.50"),
    ]
    catalog = {p.sku: p.final_price.amount for p in adapter.get_products(["KNIT-NAVY-M"], "sku")}
    assert catalog == {"KNIT-NAVY-M": Decimal("100.00")}  # the cart-scoped price touched nothing else


def test_a_refund_in_another_currency_than_the_orders_is_refused_and_writes_nothing():
    harness, adapter, ref = _shop()
    request = RefundRequest(key="rma-eur", order=ref, currency="EUR", lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),))
    with pytest.raises(PermanentError) as refused:
        adapter.create_refund(request)
    assert str(refused.value) == f"PrestaShop order {ref.id} is in DKK, the refund in EUR"
    assert (harness.app.tables["order_slip"].rows, len(harness.app.messages_of(int(ref.id)))) == ({}, 1)  # only the order note


def _fail_once(app, monkeypatch, method: str, resource: str, nth: int = 1):
    """The `nth` `method` on `resource` answers 503 before PrestaShop applies it."""
    real, seen = app.inject_fault, [0]

    def inject(request):
        if request.method == method and request.path.rstrip("/").endswith(f"/{resource}"):
            seen[0] += 1
            if seen[0] == nth:
                return app.error_response(503, "injected server error")
        return real(request)

    monkeypatch.setattr(app, "inject_fault", inject)


def _posts(app) -> list[str]:
    return [entry["path"].rsplit("/", 1)[-1] for entry in app.requests if entry["method"] == "POST"]


@pytest.mark.parametrize(("failing", "nth", "resent"), [
    ("orders", 1, ["orders", "customer_threads", "customer_messages"]),
    ("specific_prices", 2, ["specific_prices", "orders", "customer_threads", "customer_messages"]),  # the first price stays
    ("carts", 1, ["carts", "specific_prices", "specific_prices", "orders", "customer_threads", "customer_messages"]),
])
def test_a_retried_order_resumes_from_the_address_cart_and_prices_an_earlier_attempt_wrote(monkeypatch, failing, nth, resent):
    from koongo.http import TransientError

    harness = StoreHarness.start("prestashop")
    harness.app.seed_products(CATALOG)
    adapter, draft = harness.adapter(), make_draft("ps-resume", "DKK")
    _fail_once(harness.app, monkeypatch, "POST", failing, nth)
    with pytest.raises(TransientError):
        adapter.create_order(draft, retry=False)
    harness.app.requests.clear()
    ref = harness.adapter().create_order(draft, retry=True)
    assert _posts(harness.app) == resent  # neither the customer, the address nor the cart is written twice
    tables = harness.app.tables
    assert len(tables["addresses"].where(other="koongo-order:ps-resume")) == 1
    [cart] = tables["carts"].rows.values()
    assert len(tables["specific_prices"].where(id_cart=str(cart["id"]))) == 2
    [order] = harness.app.orders_summary("ps-resume")
    assert str(order["id"]) == ref.id and order["state"] == 2
    assert sorted((line["sku"], line["unit_price"]) for line in order["lines"]) == [("KNIT-NAVY-M", "90.00"), ("TEE-WHITE-M", "22.50")]


def test_a_cart_left_with_other_rows_is_not_resumed_and_the_order_gets_a_cart_of_its_own(monkeypatch):
    from koongo.http import TransientError

    harness = StoreHarness.start("prestashop")
    harness.app.seed_products(CATALOG)
    _fail_once(harness.app, monkeypatch, "POST", "orders")
    with pytest.raises(TransientError):
        harness.adapter().create_order(make_draft("ps-changed", "DKK"), retry=False)
    # The retry's lines differ (the order was matched again meanwhile): the old cart holds other rows.
    ref = harness.adapter().create_order(make_draft("ps-changed", "DKK", lines=[("KNIT-NAVY-M", 1, "90.00")]), retry=True)
    carts = list(harness.app.tables["carts"].rows.values())
    assert len(carts) == 2 and len(harness.app.tables["addresses"].where(other="koongo-order:ps-changed")) == 1
    [order] = harness.app.orders_summary("ps-changed")
    assert harness.app.tables["orders"].get(int(ref.id))["id_cart"] == str(carts[1]["id"])
    assert [(line["sku"], line["unit_price"]) for line in order["lines"]] == [("KNIT-NAVY-M", "90.00")]
