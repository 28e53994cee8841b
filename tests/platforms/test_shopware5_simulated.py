"""Shopware 5 refund markers against the simulator: a store-made status 20 is seen once, ours never as the store's."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from koongo.http import PermanentError
from platforms.base import RefundLine, RefundRequest
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.contract.harness import StoreHarness


def _shop():
    harness = StoreHarness.start("shopware5")
    harness.app.seed_products(CATALOG)
    return harness, harness.adapter()


def _ours(adapter, ref, key="rma-1"):
    request = RefundRequest(key=key, order=ref, currency="DKK", lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),))
    return adapter.create_refund(request).refund


def test_a_store_made_status_20_is_seen_once_and_ours_never_as_the_stores():
    harness, adapter = _shop()
    ours_order = adapter.create_order(make_draft("sw-1", "DKK"))
    store_order = adapter.create_order(make_draft("sw-2", "DKK"))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    ours = _ours(adapter, ours_order)
    store_id = harness.app.make_refund(store_order.id, [])

    first = {refund.refund_id: refund for refund in adapter.refunds_since(start)}
    second = {refund.refund_id: refund for refund in adapter.refunds_since(start)}

    assert (
        sorted(first)
        == sorted(second)
        == sorted([ours.refund_id, store_id])
        == sorted([f"{ours_order.id}/rma-1", f"{store_order.id}/store"])
    )
    assert (first[ours.refund_id].origin_key, first[store_id].origin_key) == ("rma-1", None)
    assert first[store_id] == second[store_id]
    assert sorted((line.sku, line.quantity, line.amount) for line in first[store_id].lines) == [
        ("KNIT-NAVY-M", 1, Decimal("90.00")),
        ("TEE-WHITE-M", 2, Decimal("45.00")),
    ]
    [store_note] = [o["note"] for o in harness.app.orders_summary("sw-2")]
    assert store_note.count("[koongo-store-refund:") == 1  # acknowledged once, by the first poll
    [ours_note] = [o["note"] for o in harness.app.orders_summary("sw-1")]
    assert "[koongo-store-refund:" not in ours_note


def test_an_acknowledged_store_refund_is_not_reported_again_once_the_window_has_passed_it():
    harness, adapter = _shop()
    ref = adapter.create_order(make_draft("sw-3", "DKK"))
    harness.app.make_refund(ref.id, [])
    start = datetime.now(UTC) - timedelta(minutes=1)
    assert [r.refund_id for r in adapter.refunds_since(start)] == [f"{ref.id}/store"]
    harness.app.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    harness.app.make_shipment(ref.id, [], carrier="DHL", tracking_number="0034")  # the order changes again, later
    assert adapter.refunds_since(datetime.now(UTC) + timedelta(minutes=30)) == []


def test_after_our_refund_a_further_store_refund_is_invisible_as_documented():
    harness, adapter = _shop()
    ref = adapter.create_order(make_draft("sw-4", "DKK"))
    start = datetime.now(UTC) - timedelta(minutes=1)
    _ours(adapter, ref)
    harness.app.make_refund(ref.id, [])  # already at 20: the shop shows no change a poll could read
    assert [(r.refund_id, r.origin_key) for r in adapter.refunds_since(start)] == [(f"{ref.id}/rma-1", "rma-1")]


def test_a_second_refund_of_ours_takes_only_what_is_left_and_the_marker_keeps_both():
    harness, adapter = _shop()
    ref = adapter.create_order(make_draft("sw-5", "DKK"))
    _ours(adapter, ref, "rma-1")
    second = _ours(adapter, ref, "rma-2")
    assert [(line.sku, line.quantity, line.amount) for line in second.lines] == [("TEE-WHITE-M", 1, Decimal("22.50"))]
    with pytest.raises(PermanentError) as refused:
        _ours(adapter, ref, "rma-3")
    assert str(refused.value) == f"Shopware 5 order {ref.id} has no refundable position TEE-WHITE-M × 1"
    assert [r["id"] for r in harness.app.refunds_summary(ref.id)] == [f"{ref.id}/rma-1", f"{ref.id}/rma-2"]
    assert harness.app.stock_of("TEE-WHITE-M") == 3  # sold 2, both restocked


def test_an_order_or_a_refund_in_another_currency_than_the_shops_is_refused():
    harness, adapter = _shop()
    with pytest.raises(PermanentError) as order_refused:
        adapter.create_order(make_draft("sw-eur", "EUR"))
    assert str(order_refused.value) == "Shopware 5 shop shopware5.koongo.test sells in DKK, not in the order's EUR"
    assert harness.app.orders_summary("sw-eur") == []
    ref = adapter.create_order(make_draft("sw-6", "DKK"))
    with pytest.raises(PermanentError) as refund_refused:
        adapter.create_refund(
            RefundRequest(key="r", order=ref, currency="EUR", lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),))
        )
    assert str(refund_refused.value) == f"Shopware 5 order {ref.id} is in DKK, the refund in EUR"
    assert harness.app.orders_summary("sw-6")[0]["payment_status"] == 12
