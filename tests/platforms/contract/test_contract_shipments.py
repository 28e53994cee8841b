"""Contract: shipments made in the store are listed since a watermark, with tracking and lines."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from platforms.base import Capability, RefundLine, RefundRequest
from tests.platforms.contract.catalog import DEFAULT_LINES, make_draft

TRACKING = "00340434161234567890"
TRACKING_URL = f"https://www.dhl.com/dk-en/home/tracking.html?tracking-id={TRACKING}"


def _ship(seeded, key: str):
    adapter = seeded.adapter()
    ref = adapter.create_order(make_draft(key, seeded.currency))
    start = datetime.now(UTC).replace(microsecond=0)
    shipment_id = seeded.app.make_shipment(
        ref.id, [{"sku": "KNIT-NAVY-M", "quantity": 1}], carrier="DHL", tracking_number=TRACKING, tracking_url=TRACKING_URL
    )
    return adapter, ref, start, shipment_id


def test_a_store_shipment_is_listed_with_its_tracking_and_lines(seeded):
    adapter, ref, start, shipment_id = _ship(seeded, "ship-1")
    shipments = [shipment for shipment in adapter.shipments_since(start) if shipment.order.id == ref.id]
    assert [shipment.shipment_id for shipment in shipments] == [shipment_id]
    [shipment] = shipments
    assert (shipment.order.reference, shipment.carrier, shipment.tracking_number) == ("ship-1", "DHL", TRACKING)
    assert shipment.tracking_url is None or TRACKING in shipment.tracking_url
    assert shipment.created_at >= start
    if seeded.supports(Capability.LINE_LEVEL_SHIPMENTS):
        assert [(line.sku, line.quantity) for line in shipment.lines] == [("KNIT-NAVY-M", 1)]
        assert shipment.whole_order is False
    else:
        assert shipment.whole_order is True


def test_a_watermark_after_the_shipment_and_its_overlap_omits_it(seeded):
    adapter, ref, start, _ = _ship(seeded, "ship-2")
    later = datetime.now(UTC) + adapter.poll_overlap + timedelta(minutes=1)
    assert [shipment for shipment in adapter.shipments_since(later) if shipment.order.id == ref.id] == []


def test_a_shipment_refunded_at_once_is_still_listed(seeded):
    """A full refund right after the shipment moves the order on (PrestaShop: "Refunded") before the next poll."""
    adapter, ref, start, shipment_id = _ship(seeded, "ship-3")
    if seeded.supports(Capability.REFUND_SYNC):
        lines = tuple(RefundLine(sku=sku, quantity=quantity, amount=Decimal(price) * quantity) for sku, quantity, price in DEFAULT_LINES)
        adapter.create_refund(RefundRequest(key="rma-ship-3", order=ref, lines=lines, currency=seeded.currency, reason="RMA accepted"))
    assert [s.shipment_id for s in adapter.shipments_since(start) if s.order.id == ref.id] == [shipment_id]
