"""The orders flow against the simulators: every configuration option, manual decisions, and Miinto-side decisions."""

from datetime import date
from decimal import Decimal

from catalog.models import ProductListing
from orders.models import Decision, Order, Position, Transfer
from tests.orders.conftest import DK_SHOP, GTIN_JEANS, GTIN_TEE_L, GTIN_TEE_M


def _decisions(world):
    return {d.position.miinto_id: (d.outcome, d.reason, d.decided_by) for d in Decision.objects.select_related("position")}


def test_auto_accept_decides_by_stock_and_price_and_creates_the_store_order(world):
    world.configure(auto_accept=True)
    ok = world.offer((GTIN_TEE_M, 9700, 1))  # exactly 0.97 × 100.00
    cheap = world.offer((GTIN_TEE_M, 9699, 1))
    sold_out = world.offer((GTIN_JEANS, 50000, 1))
    unknown = world.offer(("0000000000000", 10000, 1))
    run = world.sync()
    assert (run.status, run.seen, run.accepted, run.declined) == ("succeeded", 4, 1, 3)
    by_transfer = {p.transfer.miinto_id: p for p in Position.objects.select_related("transfer", "decision")}
    assert by_transfer[ok].decision.reason == "accepted" and by_transfer[ok].decision.outcome == "accept"
    assert by_transfer[cheap].decision.reason == "price_below_threshold"
    assert by_transfer[sold_out].decision.reason == "out_of_stock"
    assert by_transfer[unknown].decision.reason == "product_not_found"
    inputs = by_transfer[ok].decision.inputs
    assert (inputs["available_stock"], inputs["reference_price"], inputs["reference_source"], inputs["threshold"]) == (5, "100.00", "reference_attribute", "0.9700")
    assert all(d.sent_at is not None for d in Decision.objects.all())
    sent = sorted((d["transferId"], tuple(d["accepted"]), tuple(d["declined"])) for d in world.decisions_on_miinto())
    assert len(sent) == 4 and (ok, (by_transfer[ok].miinto_id,), ()) in sent
    [order] = Order.objects.all()
    assert order.status == "in_store" and order.store_order_id
    [store_order] = world.store_orders()
    assert store_order["lines"] == [{"sku": "TEE-BLK-M", "quantity": 1, "unit_price": "97.00"}]
    assert store_order["reference"] == f"miinto-{DK_SHOP}-{order.miinto_id}"


def test_auto_accept_off_leaves_positions_for_the_merchant(world):
    world.offer((GTIN_TEE_M, 10000, 1))
    run = world.sync()
    assert (run.accepted, run.declined) == (0, 0)
    assert Decision.objects.count() == 0 and world.decisions_on_miinto() == []
    assert Position.objects.get().status == "pending"


def test_threshold_is_applied(world):
    world.configure(auto_accept=True, price_threshold=Decimal("0.5"))
    world.offer((GTIN_TEE_M, 5000, 1))
    world.sync()
    assert Decision.objects.get().outcome == "accept"


def test_reference_price_attribute_original_vs_final(world):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_L, 15000, 1))  # final 100.00, original 200.00
    world.sync()
    assert Decision.objects.get().outcome == "accept"
    world.configure(reference_price_attribute="original_price")
    world.offer((GTIN_TEE_M, 9800, 1))  # TEE-M has no compare-at price: original falls back to final 100.00
    world.offer((GTIN_TEE_L, 15000, 1))
    world.sync()
    reasons = sorted(d.reason for d in Decision.objects.all())
    assert reasons == ["accepted", "accepted", "out_of_stock"]  # TEE-L's only unit is promised to the first order


def test_reference_original_price_declines_below_it(world):
    world.configure(auto_accept=True, reference_price_attribute="original_price")
    world.offer((GTIN_TEE_L, 15000, 1))
    world.sync()
    decision = Decision.objects.get()
    assert (decision.reason, decision.inputs["reference_price"]) == ("price_below_threshold", "200.00")


def test_last_exported_price_wins_over_the_store_attribute(world):
    world.configure(auto_accept=True)
    from django.utils import timezone

    from catalog.models import Product

    product = Product.objects.get(sku="TEE-BLK-M")
    ProductListing.objects.create(merchant=world.merchant, product=product, connection=world.connection, in_feed=True,
                                  exported_retail_price=Decimal("80.00"), exported_discount_price=Decimal("80.00"), exported_currency="DKK",
                                  exported_price_at=timezone.now())
    world.offer((GTIN_TEE_M, 7800, 1))
    world.sync()
    decision = Decision.objects.get()
    assert (decision.outcome, decision.inputs["reference_source"], decision.inputs["reference_price"]) == ("accept", "last_exported", "80.00")


def test_currency_mismatch_waits_in_needs_attention(world):
    world.configure(auto_accept=True)
    from catalog.models import Product

    Product.objects.filter(sku="TEE-BLK-M").update(price_currency="EUR")
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    assert (position.status, position.wait_reason) == ("pending", "currency_mismatch")
    assert Decision.objects.count() == 0


def test_stock_only_lowers_store_stock_instead_of_creating_an_order(world):
    world.configure(auto_accept=True, sync_level="stock_only")
    world.offer((GTIN_TEE_M, 10000, 2))
    world.sync()
    assert world.store_orders() == []
    assert world.shopify.stock_of("TEE-BLK-M") == 3
    assert Order.objects.get().status == "in_store"
    assert Position.objects.get().awaiting_store is False


def test_from_date_skips_older_transfers(world):
    world.configure(sync_from_date=date(2026, 1, 1))
    old = world.offer((GTIN_TEE_M, 10000, 1), created_at=1_700_000_000)  # 2023
    new = world.offer((GTIN_TEE_M, 10000, 1))
    run = world.sync()
    assert (run.seen, run.skipped) == (1, 1)
    assert list(Transfer.objects.values_list("miinto_id", flat=True)) == [new]
    assert old not in Transfer.objects.values_list("miinto_id", flat=True)


def test_billing_address_for_shipping_with_parcel_shop_warning(world, monkeypatch):
    import miinto.sandbox.state as sandbox_state

    real = sandbox_state.fake_customer

    def parcel_shop(rng, market):
        billing, delivery = real(rng, market)
        return billing, {**delivery, "type": "ParcelShopDelivery", "name": "Pakkeshop 42", "address": {**delivery["address"], "street": "Shopvej 1"}}

    monkeypatch.setattr(sandbox_state, "fake_customer", parcel_shop)
    world.configure(auto_accept=True, use_billing_for_shipping=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    order = Order.objects.get()
    assert order.shipping_address == order.billing_address
    assert order.delivery_address["street"] == "Shopvej 1" and order.shipping_address["street"] != "Shopvej 1"
    assert order.warnings == ["Parcel-shop delivery: the billing address replaced the parcel shop as the shipping address."]


def test_without_billing_for_shipping_the_delivery_address_is_used(world):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    order = Order.objects.get()
    assert order.shipping_address == order.delivery_address and order.warnings == []


def test_a_transfer_decided_in_miinto_is_recorded_as_such(world):
    transfer_id = world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    world.miinto.state.decide_transfer(world.miinto.state.shops[DK_SHOP], transfer_id, [position.miinto_id], [], "miinto")
    world.sync()
    decision = Decision.objects.get()
    assert (decision.outcome, decision.decided_by) == ("accept", "miinto")
    assert Order.objects.get().store_order_id  # the order made in Miinto still reaches the store


def test_two_connections_compete_for_the_last_unit(world):
    from connections import services

    second = services.miinto_connection_create(
        merchant=world.merchant, environment="simulator", username="orders@nordic.example", password="pw-orders", shop_id="1-m!i!s-046-3002",
        store_connection=world.connection.store_connection, activate=True,
    )
    services.order_configuration_update(configuration=second.order_configuration, auto_accept=True)
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_L, 10000, 1))
    world.offer((GTIN_TEE_L, 10000, 1), shop="1-m!i!s-046-3002")
    world.sync()
    from connections.sync.runs import sync_request, sync_run_execute

    sync_run_execute(sync_request(connection=second, flow="orders", trigger="button"))
    outcomes = sorted((d.position.connection_id, d.outcome, d.reason) for d in Decision.objects.select_related("position"))
    assert outcomes == [(world.connection.pk, "accept", "accepted"), (second.pk, "decline", "out_of_stock")]


def test_a_disabled_connection_runs_no_order_sync(world):
    import pytest

    from connections import services
    from connections.sync.runs import SyncRefused, sync_dispatch_due, sync_request

    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    services.miinto_connection_deactivate(connection=world.connection)
    with pytest.raises(SyncRefused):
        sync_request(connection=world.connection, flow="orders", trigger="button")
    assert sync_dispatch_due() == []
    assert Transfer.objects.count() == 0 and world.decisions_on_miinto() == []
    assert world.connection.order_configuration.auto_accept is True  # the configuration stays


def test_a_fully_decided_transfer_is_closed(world):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_TEE_M, 10000, 1), (GTIN_JEANS, 50000, 1))
    world.configure(auto_accept=False)
    world.sync()
    assert list(Transfer.objects.values_list("closed_at", flat=True)) == [None, None]
    world.configure(auto_accept=True)
    world.sync()
    assert Transfer.objects.filter(closed_at__isnull=True).count() == 0


def test_the_identification_attribute_decides_what_the_product_map_matches(world):
    from catalog.models import ProductMapEntry

    # Miinto's Product Map says this gtin is the feed row whose id is the SKU "TEE-BLK-M".
    ProductMapEntry.objects.create(merchant=world.merchant, connection=world.connection, miinto_item_id="item-1",
                                   gtin="9999999999999", feed_id="TEE-BLK-M")
    world.configure(auto_accept=True, product_identification_attribute="sku")
    world.offer(("9999999999999", 10000, 1))
    world.sync()
    matched = Position.objects.select_related("product").get()
    assert (matched.product.sku, matched.decision.outcome) == ("TEE-BLK-M", "accept")
    world.configure(product_identification_attribute="id")  # the feed id is then read as a variant id: no product
    world.offer(("9999999999999", 10000, 1))
    world.sync()
    # The map's id matches by SKU, so this is a configuration mismatch: the position waits, it is never declined.
    unmatched = Position.objects.exclude(pk=matched.pk).get()
    assert (unmatched.product_id, unmatched.status, unmatched.wait_reason) == (None, "pending", "identification_mismatch")
    assert not Decision.objects.filter(position=unmatched).exists()
