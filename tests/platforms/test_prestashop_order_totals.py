"""PrestaShop orders as validateOrder books them: totals that match the cart, the configured carrier, stock taken, few calls."""

from decimal import Decimal

from platforms.prestashop.sandbox import PrestaShopSandbox
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.contract.harness import StoreHarness

PAID, PAYMENT_ERROR = 2, 8


def _shop():
    harness = StoreHarness.start("prestashop")
    harness.app.seed_products(CATALOG)
    return harness


def _stock(app: PrestaShopSandbox) -> tuple[int, int]:
    return app.stock_of("KNIT-NAVY-M"), app.stock_of("TEE-WHITE-M")


def test_miinto_shipping_on_a_free_carrier_books_a_paid_order_that_takes_stock_and_names_the_shipping():
    harness = _shop()
    draft = make_draft("ps-ship", "DKK").model_copy(update={"shipping_price": Decimal("49.00")})
    ref = harness.adapter().create_order(draft)
    [order] = harness.app.orders_summary("ps-ship")
    assert order["state"] == PAID
    assert _stock(harness.app) == (9, 1)  # 10 - 1 and 3 - 2
    row = harness.app.tables["orders"].get(int(ref.id))
    assert (row["total_paid"], row["total_paid_real"], row["id_carrier"]) == ("135.00", "135.00", "1")
    assert order["note"] == (
        "Miinto order 1-m!i!s-045-1234\nShipping of 49.00 DKK was paid on Miinto and is not in this order's PrestaShop total."
    )


def test_the_configured_carrier_sticks_through_delivery_option_and_a_charging_carrier_still_takes_the_stock_once():
    harness = _shop()
    adapter = harness.adapter({**harness.app.demo_credentials(), "carrier_id": 2})  # PostNord charges 49.00
    ref = adapter.create_order(make_draft("ps-carrier", "DKK"))
    row = harness.app.tables["orders"].get(int(ref.id))
    assert row["id_carrier"] == "2"
    assert [c["id_carrier"] for c in harness.app.tables["order_carriers"].where(id_order=int(ref.id))] == ["2"]
    # validateOrder saw 135.00 paid against 184.00 and booked a payment error without stock; moving it to the paid
    # state made PrestaShop take the stock, exactly once.
    assert [int(h["id_order_state"]) for h in harness.app.tables["order_histories"].where(id_order=int(ref.id))] == [
        PAYMENT_ERROR,
        PAID,
    ]
    assert harness.app.orders_summary("ps-carrier")[0]["state"] == PAID
    assert _stock(harness.app) == (9, 1)
    assert "booked this order as 'Payment error'" in harness.app.orders_summary("ps-carrier")[0]["note"]


def test_the_simulator_books_a_total_that_misses_the_carriers_shipping_as_a_payment_error_without_stock():
    harness = _shop()
    app = harness.app
    app.tables["configurations"].where(name="PS_CARRIER_DEFAULT")[0]["value"] = "2"  # PostNord, 49.00
    combination = app.tables["combinations"].where(reference="TEE-WHITE-M")[0]
    customer = app._create_customers({"firstname": "A", "lastname": "B", "email": "a@b.dk", "passwd": "x"})
    address = app._create_addresses({"id_country": "1", "alias": "a", "firstname": "A", "lastname": "B", "address1": "x", "city": "y"})
    row = {"id_product": combination["id_product"], "id_product_attribute": combination["id"], "quantity": "1"}
    cart = app.tables["carts"].insert(
        {
            "id_currency": "1",
            "id_lang": "1",
            "id_customer": customer["id"],
            "id_address_delivery": address["id"],
            "id_address_invoice": address["id"],
            "id_carrier": "1",  # ignored: validateOrder reads delivery_option, else PS_CARRIER_DEFAULT
            "secure_key": customer["secure_key"],
            "associations": {"cart_rows": [row]},
        }
    )
    order = app._create_orders({"id_cart": str(cart["id"]), "module": "miinto", "total_paid": "25.00", "payment": "x"})
    assert (order["current_state"], order["id_carrier"], order["total_paid"]) == (str(PAYMENT_ERROR), "2", "74.00")
    assert app.stock_of("TEE-WHITE-M") == 3  # checkProductStock skips the error state
    app._create_order_histories({"id_order": order["id"], "id_order_state": PAID, "id_employee": 1})
    assert app.stock_of("TEE-WHITE-M") == 2  # changeIdOrderState: error → logable takes it now


def _calls(app: PrestaShopSandbox, since: int) -> list[str]:
    return [f"{entry['method']} {entry['path'].removeprefix('/api/')}" for entry in app.requests[since:]]


def test_a_first_push_makes_only_the_calls_the_webservice_needs():
    harness = _shop()
    app = harness.app
    at_catalog_prices = (("KNIT-NAVY-M", 1, "100.00"), ("TEE-WHITE-M", 2, "25.00"))
    start = len(app.requests)
    harness.adapter().create_order(make_draft("ps-a", "DKK", lines=at_catalog_prices))
    # A worker's first order also reads the shop's settings, currency and country (kept ten minutes per process).
    assert _calls(app, start) == [
        "GET addresses",  # our key: is the order there already?
        "GET configurations",
        "GET currencies",
        "GET countries",
        "GET combinations",  # ids, tax rate and price for the delivery country, in one listing
        "GET customers",
        "POST customers",
        "POST addresses",
        "POST carts",
        "POST orders",
        "POST customer_threads",
        "POST customer_messages",
    ]
    start = len(app.requests)
    harness.adapter().create_order(make_draft("ps-b", "DKK"))  # a new adapter per push, as the sync builds them
    assert _calls(app, start) == [
        "GET addresses",
        "GET combinations",
        "GET customers",  # a returning buyer
        "POST addresses",
        "POST carts",
        "POST specific_prices",  # the two Miinto prices below the catalog's
        "POST specific_prices",
        "POST orders",
        "POST customer_threads",
        "POST customer_messages",
    ]
    assert [order["state"] for order in app.orders_summary()] == [PAID, PAID]


def test_an_order_placed_before_a_timeout_in_payment_error_is_moved_on_when_the_retry_finds_it():
    harness = _shop()
    credentials = {**harness.app.demo_credentials(), "carrier_id": 2}  # a charging carrier: validateOrder's error state
    harness.time_out("order_create", after=True)
    ref = harness.adapter(credentials).create_order(make_draft("ps-timeout", "DKK"))
    assert harness.transport.timeout_after == 0
    assert [int(h["id_order_state"]) for h in harness.app.tables["order_histories"].where(id_order=int(ref.id))] == [
        PAYMENT_ERROR,
        PAID,
    ]
    assert _stock(harness.app) == (9, 1)
    harness.adapter(credentials).create_order(make_draft("ps-timeout", "DKK"))  # found again: nothing moves twice
    assert len(harness.app.tables["order_histories"].where(id_order=int(ref.id))) == 2
    assert _stock(harness.app) == (9, 1)
    assert harness.app.orders_summary("ps-timeout")[0]["note"].count("booked this order as 'Payment error'") == 1
