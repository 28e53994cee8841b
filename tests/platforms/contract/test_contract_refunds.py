"""Contract: refunds are created once (also across a timeout), and store refunds are discovered with ours marked."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from platforms.base import Capability, Money, RefundLine, RefundRequest, Unsupported
from tests.platforms.contract.catalog import make_draft


def _request(seeded, ref, key: str) -> RefundRequest:
    return RefundRequest(
        key=key,
        order=ref,
        lines=(RefundLine(sku="TEE-WHITE-M", quantity=1, amount=Decimal("22.50")),),
        currency=seeded.currency,
        reason="RMA accepted: wrong size",
        restock=True,
    )


def test_a_refund_is_created_once_and_a_retry_returns_it(seeded):
    adapter = seeded.adapter()
    ref = adapter.create_order(make_draft("refund-1", seeded.currency))
    request = _request(seeded, ref, "rma-1")
    if not seeded.supports(Capability.REFUND_SYNC):
        with pytest.raises(Unsupported):
            adapter.create_refund(request)
        assert seeded.app.refunds_summary(ref.id) == []
        return
    stock_before = seeded.app.stock_of("TEE-WHITE-M")
    first = adapter.create_refund(request)
    second = adapter.create_refund(request)
    assert (first.created, second.created) == (True, False)
    assert second.refund.refund_id == first.refund.refund_id
    assert first.refund.origin_key == "rma-1"
    assert first.refund.total == Money(amount=Decimal("22.50"), currency=seeded.currency)
    assert [refund["id"] for refund in seeded.app.refunds_summary(ref.id)] == [first.refund.refund_id]
    assert seeded.app.stock_of("TEE-WHITE-M") == stock_before + 1
    if seeded.supports(Capability.ITEM_LEVEL_REFUNDS):
        assert [(line.sku, line.quantity) for line in first.refund.lines] == [("TEE-WHITE-M", 1)]


def test_a_refund_timing_out_after_the_store_made_it_exists_once(seeded):
    adapter = seeded.adapter()
    ref = adapter.create_order(make_draft("refund-2", seeded.currency))
    if not seeded.supports(Capability.REFUND_SYNC):
        with pytest.raises(Unsupported):
            adapter.create_refund(_request(seeded, ref, "rma-2"))
        return
    seeded.time_out("refund_create", after=True)
    result = adapter.create_refund(_request(seeded, ref, "rma-2"))
    assert seeded.transport.timeout_after == 0
    assert [refund["id"] for refund in seeded.app.refunds_summary(ref.id)] == [result.refund.refund_id]


def test_refunds_since_report_store_refunds_and_mark_ours(seeded):
    adapter = seeded.adapter()
    ours_order = adapter.create_order(make_draft("refund-3", seeded.currency))
    store_order = adapter.create_order(make_draft("refund-4", seeded.currency))
    start = datetime.now(UTC).replace(microsecond=0)
    if not seeded.supports(Capability.REFUND_SYNC):
        with pytest.raises(Unsupported):
            adapter.refunds_since(start)
        return
    ours = adapter.create_refund(_request(seeded, ours_order, "rma-3")).refund
    store_refund_id = seeded.app.make_refund(store_order.id, [{"sku": "KNIT-NAVY-M", "quantity": 1}], note="Returned in shop")
    found = {
        refund.refund_id: refund for refund in adapter.refunds_since(start) if refund.order.id in (ours_order.id, store_order.id)
    }
    assert set(found) == {ours.refund_id, store_refund_id}
    assert found[ours.refund_id].origin_key == "rma-3"
    store = found[store_refund_id]
    assert (store.origin_key, store.order.reference) == (None, "refund-4")
    assert store.created_at >= start
    assert store.item_level is seeded.supports(Capability.ITEM_LEVEL_REFUNDS)
    if store.item_level:
        assert [(line.sku, line.quantity) for line in store.lines] == [("KNIT-NAVY-M", 1)]
    else:  # the platform records no lines: the adapter reports the whole order as refunded
        assert sorted((line.sku, line.quantity) for line in store.lines) == [("KNIT-NAVY-M", 1), ("TEE-WHITE-M", 2)]


def test_a_watermark_after_the_refunds_and_their_overlap_omits_them(seeded):
    adapter = seeded.adapter()
    ref = adapter.create_order(make_draft("refund-5", seeded.currency))
    later = datetime.now(UTC) + adapter.poll_overlap + timedelta(minutes=1)
    if not seeded.supports(Capability.REFUND_SYNC):
        with pytest.raises(Unsupported):
            adapter.refunds_since(later)
        return
    seeded.app.make_refund(ref.id, [{"sku": "KNIT-NAVY-M", "quantity": 1}])
    assert [refund for refund in adapter.refunds_since(later) if refund.order.id == ref.id] == []
