"""The comparisons alone (no I/O): stock against the store minus the buffer beyond the tolerance, and an accepted RMA
whose store refund carries another amount."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog.models import Product, ProductListing
from connections.models import MiintoConnection
from platforms.base import Money, StoreOrderRef, StoreRefund
from reconciliation.checks import Inputs, findings
from reconciliation.collect import MiintoRecords, StoreRecords
from reconciliation.ours import OurRecords
from rma.models import Rma


def _inputs(*, listings=(), stock=None, buffer=0, tolerance=0, returns=(), refunds=None, rmas=None) -> Inputs:
    return Inputs(
        connection=MiintoConnection(pk=1, merchant_id=1, shop_id="1-m!i!s-045-4001"),
        miinto=MiintoRecords(returns=list(returns)), store=StoreRecords(stock=stock or {}, refunds=refunds),
        ours=OurRecords(listings=list(listings), rmas=rmas or {}), stock_buffer=buffer, stock_tolerance=tolerance,
        orders_to_store=True, refunds_both_ways=True,
    )  # fmt: skip


def _listing(sku: str, exported: int) -> ProductListing:
    return ProductListing(product=Product(pk=7, sku=sku), exported_stock=exported)


@pytest.mark.parametrize(
    ("exported", "store", "buffer", "tolerance", "found"),
    [
        (8, 10, 2, 0, False),  # Miinto has the store's 10 minus the buffer of 2
        (10, 10, 2, 0, True),  # the buffer was not applied
        (9, 10, 2, 1, False),  # one unit off, within the tolerance
        (0, 1, 2, 0, False),  # below the buffer Miinto sees 0, never a negative level
        (3, 10, 2, 4, True),  # five units off, beyond the tolerance
    ],
)
def test_stock_differs_only_beyond_the_tolerance_from_the_store_minus_the_buffer(exported, store, buffer, tolerance, found):
    result = findings(_inputs(listings=[_listing("TEE-1", exported)], stock={"TEE-1": store}, buffer=buffer, tolerance=tolerance))
    assert [(f.kind, f.store_ref, f.miinto_value, f.store_value, f.fix) for f in result] == (
        [("stock_mismatch", "TEE-1", str(exported), str(store), "push_stock")] if found else []
    )


def test_an_sku_the_store_does_not_answer_for_is_not_a_stock_finding():
    assert findings(_inputs(listings=[_listing("GONE-1", 4)], stock={})) == []


def test_an_accepted_rma_refunded_with_another_amount_is_an_amount_finding():
    from miinto.schemas import Return

    rma = Rma(pk=3, miinto_id=501, miinto_order_id=900, amount=Decimal("100.00"), currency="DKK", refund_key="rma-key-3")
    wire = Return.model_validate({"id": 501, "orderId": 900, "status": "accepted", "origin": "customer", "positions": []})
    refund = StoreRefund(
        refund_id="r-1", order=StoreOrderRef(id="o-1"), total=Money(amount=Decimal("80.00"), currency="DKK"),
        created_at=datetime(2026, 12, 1, tzinfo=UTC), origin_key="rma-key-3",
    )  # fmt: skip
    [finding] = findings(_inputs(returns=[wire], refunds=[refund], rmas={11: [rma]}))
    assert (finding.kind, finding.miinto_return_id, finding.miinto_value, finding.store_value, finding.fix) == (
        "amount_mismatch", 501, "100.00", "80.00", "",
    )
