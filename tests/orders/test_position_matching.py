"""Matching positions to store products: map id, GTIN and a live store look-up; a wrong identification attribute holds
positions instead of declining them; a retried store push re-matches with the current configuration."""

from decimal import Decimal

import pytest

from catalog.models import Product, ProductMapEntry
from connections.models import Problem
from orders.matching import IDENTIFICATION_MISMATCH, STOCK_UNCONFIRMED, attribute_rates
from orders.models import Decision, Order, Position, StorePush
from platforms.base import StoreProduct
from platforms.shopify.adapter import ShopifyAdapter
from tests.orders.conftest import GTIN_JEANS, GTIN_TEE_M, seed_store

# Miinto's Product Map keys these GTINs (unknown to the store) to feed ids that are the store's SKUs.
MAPPED = {"9900000000011": "TEE-BLK-M", "9900000000028": "TEE-BLK-L", "9900000000035": "JEANS-32"}


def _map_skus(world, mapping=MAPPED):
    for index, (gtin, sku) in enumerate(mapping.items()):
        ProductMapEntry.objects.create(merchant=world.merchant, connection=world.connection, miinto_item_id=f"item-{index}", gtin=gtin, feed_id=sku)


@pytest.fixture
def get_products_calls(monkeypatch):
    """Every live `get_products` call the Shopify adapter makes, as (identifiers, attribute)."""
    calls = []
    real = ShopifyAdapter.get_products

    def counting(self, identifiers, attribute):
        calls.append((sorted(identifiers), attribute))
        return real(self, identifiers, attribute)

    monkeypatch.setattr(ShopifyAdapter, "get_products", counting)
    return calls


def test_map_ids_that_are_skus_with_the_id_attribute_make_zero_auto_declines(world):
    _map_skus(world)
    world.configure(auto_accept=True, product_identification_attribute="id")
    for gtin in MAPPED:
        world.offer((gtin, 10000, 1))
    run = world.sync()
    assert (run.seen, run.accepted, run.declined) == (3, 0, 0)
    assert Decision.objects.count() == 0 and world.decisions_on_miinto() == []
    assert sorted(Position.objects.values_list("status", "wait_reason")) == [("pending", IDENTIFICATION_MISMATCH)] * 3
    [problem] = Problem.objects.filter(kind=IDENTIFICATION_MISMATCH)
    assert (problem.connection_id, problem.subject_type, problem.subject_id) == (world.connection.pk, "connection", str(world.connection.pk))
    assert 'attribute "sku" (3 of 3 sampled ids, 100%)' in problem.message
    assert 'Product Identification Attribute "id"' in problem.message


def test_after_the_attribute_is_fixed_the_held_positions_are_decided_on_their_merits(world):
    _map_skus(world)
    world.configure(auto_accept=True, product_identification_attribute="id")
    for gtin in MAPPED:
        world.offer((gtin, 10000, 1))
    world.sync()
    world.configure(product_identification_attribute="sku")
    run = world.sync()
    assert (run.accepted, run.declined) == (2, 1)
    decided = {d.position.product.sku: (d.outcome, d.reason) for d in Decision.objects.select_related("position__product")}
    assert decided == {"TEE-BLK-M": ("accept", "accepted"), "TEE-BLK-L": ("accept", "accepted"), "JEANS-32": ("decline", "out_of_stock")}
    assert set(Position.objects.values_list("wait_reason", flat=True)) == {""}


def test_a_second_run_with_the_mismatch_counts_the_same_problem_again(world):
    _map_skus(world)
    world.configure(auto_accept=True, product_identification_attribute="id")
    for gtin in MAPPED:
        world.offer((gtin, 10000, 1))
    world.sync()
    world.sync()
    [problem] = Problem.objects.filter(kind=IDENTIFICATION_MISMATCH)
    assert problem.occurrences == 2 and Decision.objects.count() == 0


def test_a_product_added_to_the_store_after_the_catalog_refresh_is_found_live(world, get_products_calls):
    world.configure(auto_accept=True, product_identification_attribute="sku")
    _map_skus(world, {"9900000000042": "NEW-SKU-1"})
    seed_store(world.shopify, [("5709999000042", "NEW-SKU-1", "100.00", None, 4)])
    assert not Product.objects.filter(sku="NEW-SKU-1").exists()
    world.offer(("9900000000042", 10000, 1), (GTIN_TEE_M, 10000, 1))
    run = world.sync()
    assert (run.accepted, run.declined) == (2, 0)
    product = Product.objects.get(sku="NEW-SKU-1")
    assert (product.stock, product.gtin) == (4, "5709999000042")
    assert Position.objects.get(gtin="9900000000042").product_id == product.pk
    # One live call for the page (the new product's map id and the matched product's stock, by the configured attribute);
    # the store order then uses the products that call put in the catalog, with no resolution of its own.
    assert get_products_calls == [(["NEW-SKU-1", "TEE-BLK-M"], "sku")]


def test_live_stock_decides_not_the_stale_copy(world):
    world.configure(auto_accept=True)
    Product.objects.filter(sku="JEANS-32").update(stock=9)  # our copy says 9, the store has 0
    world.offer((GTIN_JEANS, 50000, 1))
    world.sync()
    decision = Decision.objects.get()
    assert (decision.reason, decision.inputs["available_stock"]) == ("out_of_stock", 0)


def test_a_product_whose_stock_the_store_could_not_tell_waits_and_the_rest_are_decided(world, monkeypatch):
    world.configure(auto_accept=True)
    real = ShopifyAdapter.get_products

    def tee_unknown(self, identifiers, attribute):
        return [p.model_copy(update={"stock": None, "stock_unknown": True}) if p.sku == "TEE-BLK-M" else p for p in real(self, identifiers, attribute)]

    monkeypatch.setattr(ShopifyAdapter, "get_products", tee_unknown)
    Product.objects.filter(sku="TEE-BLK-M").update(stock=0)  # stale: never decided on, never declined as out of stock
    world.offer((GTIN_TEE_M, 10000, 1), (GTIN_JEANS, 50000, 1))
    run = world.sync()
    assert (run.status, run.accepted, run.declined) == ("succeeded", 0, 1)
    waiting = Position.objects.get(gtin=GTIN_TEE_M)
    assert (waiting.status, waiting.wait_reason, waiting.product.stock) == ("pending", STOCK_UNCONFIRMED, 0)
    assert waiting.wait_label == "The store's stock could not be read: the next run decides it."
    monkeypatch.setattr(ShopifyAdapter, "get_products", real)
    run = world.sync()
    assert (run.accepted, run.declined) == (1, 0)
    assert Position.objects.get(gtin=GTIN_TEE_M).wait_reason == ""


def test_a_position_decided_by_hand_while_its_stock_was_read_keeps_no_wait_reason(world, monkeypatch):
    from orders.decisions import positions_decide

    world.configure(auto_accept=True)
    real = ShopifyAdapter.get_products

    def decided_meanwhile(self, identifiers, attribute):
        found = real(self, identifiers, attribute)
        positions_decide(merchant=world.merchant, positions=list(Position.objects.filter(gtin=GTIN_TEE_M)), outcome="decline", actor="ops")
        return [p.model_copy(update={"stock": None, "stock_unknown": True}) for p in found]

    monkeypatch.setattr(ShopifyAdapter, "get_products", decided_meanwhile)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get(gtin=GTIN_TEE_M)
    assert (position.status, position.wait_reason) == ("declined", "")


def test_a_product_our_catalog_knows_is_linked_before_the_slow_live_look_up(world, monkeypatch):
    seen_during_lookup = []
    real = ShopifyAdapter.get_products

    def looking(self, identifiers, attribute):
        seen_during_lookup.append(Position.objects.get(gtin=GTIN_TEE_M).product_id)
        return real(self, identifiers, attribute)

    monkeypatch.setattr(ShopifyAdapter, "get_products", looking)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    assert seen_during_lookup == [Product.objects.get(sku="TEE-BLK-M").pk]  # what a merchant deciding meanwhile sees


def test_an_item_whose_stock_read_failed_keeps_the_stock_we_knew(world):
    from catalog.services import products_upsert

    product = Product.objects.get(sku="TEE-BLK-M")
    unknown = StoreProduct(product_id=product.store_product_id, variant_id=product.store_variant_id, sku="TEE-BLK-M",
                           title="Renamed", stock=None, stock_unknown=True)
    products_upsert(world.connection.store_connection, [unknown])
    product.refresh_from_db()
    assert (product.title, product.stock) == ("Renamed", 5)


def test_a_product_missing_everywhere_on_a_mostly_matched_page_is_declined(world):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer(("0000000000000", 10000, 1))
    run = world.sync()
    assert (run.accepted, run.declined) == (2, 1)
    assert Decision.objects.get(outcome="decline").reason == "product_not_found"
    assert not Problem.objects.filter(kind=IDENTIFICATION_MISMATCH).exists()


def test_a_lone_unknown_product_with_no_better_attribute_is_declined_not_held(world):
    world.configure(auto_accept=True)
    world.offer(("0000000000000", 10000, 1))
    world.sync()
    assert Decision.objects.get().reason == "product_not_found"
    assert not Problem.objects.filter(kind=IDENTIFICATION_MISMATCH).exists()


def test_many_unknown_products_are_held_even_without_a_better_attribute(world):
    world.configure(auto_accept=True)
    for gtin in ("0000000000001", "0000000000002", "0000000000003"):
        world.offer((gtin, 10000, 1))
    run = world.sync()
    assert (run.accepted, run.declined) == (0, 0)
    [problem] = Problem.objects.filter(kind=IDENTIFICATION_MISMATCH)
    assert "No identification attribute matches the Product Map's ids" in problem.message


def test_attribute_rates_sample_the_map_against_the_catalog(world):
    _map_skus(world, {"9900000000011": "TEE-BLK-M", "9900000000028": "TEE-BLK-L", "9900000000099": "GONE-SKU"})
    rates = {r.attribute: (r.matched, r.sampled, r.percent) for r in attribute_rates(world.connection, list(MAPPED.values())[:2] + ["GONE-SKU"])}
    assert rates["sku"] == (2, 3, 67)
    assert rates["id"] == (0, 3, 0) and rates["gtin"] == (0, 3, 0)


def test_a_retried_store_push_re_matches_with_the_current_attribute(world):
    from connections.models import ProblemState
    from connections.sync.problems import problem_retry
    from orders.decisions import positions_decide

    _map_skus(world)
    world.configure(product_identification_attribute="id")
    world.offer(("9900000000011", 10000, 1))
    world.sync()
    position = Position.objects.get()
    assert position.product_id is None
    positions_decide(merchant=world.merchant, positions=[position], outcome="accept", actor="owner@nordic.example")
    world.run_due_pushes()  # sends the decision, fetches the order; its store push fails for good: nothing matches
    push = StorePush.objects.get()
    assert push.state == "dead" and world.store_orders() == []
    dead = Problem.objects.get(kind="outbox_dead", state=ProblemState.OPEN)
    world.configure(product_identification_attribute="sku")
    problem_retry(merchant=world.merchant, problem=dead, by="owner@nordic.example")
    world.run_due_pushes()
    order = Order.objects.get()
    assert order.status == "in_store"
    [store_order] = world.store_orders()
    assert store_order["lines"] == [{"sku": "TEE-BLK-M", "quantity": 1, "unit_price": "100.00"}]
    line = order.lines.get()
    assert (line.product.sku, line.sku) == ("TEE-BLK-M", "TEE-BLK-M")
    assert Position.objects.get().product.sku == "TEE-BLK-M"
    assert Decimal(store_order["lines"][0]["unit_price"]) == Decimal("100.00")


# --- the dashboard: accepting an unmatched position warns first; the identification check proposes an attribute ---------


def test_accepting_an_unmatched_position_asks_first_and_decides_nothing(world, owner_client):
    _map_skus(world)
    world.offer(("9900000000011", 10000, 1))
    world.sync()
    position = Position.objects.get()
    answer = owner_client.post(f"/positions/{position.pk}/accept/")
    assert answer.status_code == 409
    body = answer.content.decode()
    assert "Accept a position without a store product?" in body and f"Position {position.miinto_id}" in body
    assert 'name="confirm_unmatched" value="1"' in body
    assert Decision.objects.count() == 0 and world.decisions_on_miinto() == []
    answer = owner_client.post(f"/positions/{position.pk}/accept/", {"confirm_unmatched": "1"})
    assert answer.status_code == 302
    assert Decision.objects.get().outcome == "accept"


def test_accepting_a_matched_position_or_declining_an_unmatched_one_needs_no_confirmation(world, owner_client):
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer(("0000000000000", 10000, 1))
    world.sync()
    matched, unmatched = Position.objects.get(gtin=GTIN_TEE_M), Position.objects.get(gtin="0000000000000")
    assert owner_client.post(f"/positions/{matched.pk}/accept/").status_code == 302
    assert owner_client.post(f"/positions/{unmatched.pk}/decline/").status_code == 302
    assert sorted(Decision.objects.values_list("outcome", flat=True)) == ["accept", "decline"]


def test_identification_check_shows_match_rates_and_proposes_the_matching_attribute(world, owner_client):
    _map_skus(world)
    world.configure(product_identification_attribute="id")
    page = owner_client.get(f"/orders/identification/{world.connection.pk}/", HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert page.status_code == 200
    assert "3 ids from Miinto's Product Map tried against your store catalog" in body
    assert 'data-attribute="sku"' in body and "3 of 3" in body and 'aria-valuenow="100"' in body
    assert 'id="identification-proposal"' in body and 'value="sku"' in body
    answer = owner_client.post(f"/orders/identification/{world.connection.pk}/apply/", {"attribute": "sku"})
    assert answer.status_code == 302
    world.connection.order_configuration.refresh_from_db()
    assert world.connection.order_configuration.product_identification_attribute == "sku"
    body = owner_client.get(f"/orders/identification/{world.connection.pk}/").content.decode()
    assert 'id="identification-proposal"' not in body and "The attribute in use matches best." in body


def test_identification_apply_refuses_an_attribute_the_store_does_not_have(world, owner_client):
    world.configure(product_identification_attribute="id")
    owner_client.post(f"/orders/identification/{world.connection.pk}/apply/", {"attribute": "shoe_size"})
    world.connection.order_configuration.refresh_from_db()
    assert world.connection.order_configuration.product_identification_attribute == "id"


def test_identification_check_of_another_merchant_is_404(world, client, other_merchant):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(merchant=other_merchant).user)
    assert client.get(f"/orders/identification/{world.connection.pk}/").status_code == 404
    assert client.post(f"/orders/identification/{world.connection.pk}/apply/", {"attribute": "sku"}).status_code == 404


def test_the_decline_message_is_spelled_right(world, owner_client):
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    answer = owner_client.post(f"/positions/{position.pk}/decline/", follow=True)
    assert [str(m) for m in answer.context["messages"]] == ["1 position declined. Miinto is being told now."]
