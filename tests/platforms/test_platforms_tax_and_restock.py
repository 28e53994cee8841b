"""Tests for the tax-splitting and option helpers, the per-order refund lock, and restocking a refund through the stock ledger."""

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from koongo.coordination import Locks, MemoryBackend
from platforms.base import Money, RefundLine, RefundRequest, RefundResult, StockOutcome, StoreOrderRef, StoreRefund
from platforms.mechanics import COLOR_NAMES, SIZE_NAMES, gross_up, option_named, split_gross
from tests.platforms.fake_adapter import AbsoluteAdapter, FakeStore

ORDER = StoreOrderRef(id="7", reference="miinto-7")


def test_split_gross_gives_net_and_tax_that_add_up_to_the_cent():
    assert split_gross(Decimal("100.00"), Decimal("25")) == (Decimal("80.00"), Decimal("20.00"))
    assert split_gross(Decimal("22.50"), Decimal("25")) == (Decimal("18.00"), Decimal("4.50"))
    net, tax = split_gross(Decimal("99.99"), Decimal("24"))
    assert (net, tax, net + tax) == (Decimal("80.64"), Decimal("19.35"), Decimal("99.99"))
    assert split_gross(Decimal("10"), Decimal("0")) == (Decimal("10.00"), Decimal("0.00"))


def test_gross_up_adds_the_rate_and_rounds_half_up():
    assert gross_up(Decimal("80"), Decimal("25")) == Decimal("100.00")
    assert gross_up(Decimal("0.02"), Decimal("25")) == Decimal("0.03")


def test_option_named_matches_any_language_and_case():
    options = {"Størrelse ": "M", "Farve": "Navy", "Material": "Wool"}
    assert (option_named(options, COLOR_NAMES), option_named(options, SIZE_NAMES)) == ("Navy", "M")
    assert option_named({"Material": "Wool"}, COLOR_NAMES) is None


def _refund(lines) -> RefundResult:
    refund = StoreRefund(
        refund_id="r1", order=ORDER, lines=tuple(lines), total=Money(amount=Decimal("10"), currency="DKK"),
        created_at=datetime(2026, 5, 1, tzinfo=UTC), origin_key="rma-1",
    )
    return RefundResult(refund=refund, created=True)


def _adapter(stock, locks=None):
    store = FakeStore(stock)
    AbsoluteAdapter.stores["restock"] = store
    return AbsoluteAdapter({"store": "restock", "api_key": "good"}, locks=locks), store


def test_restock_refund_returns_each_sku_once_and_reports_it():
    adapter, store = _adapter({"A": 1, "B": 0})
    request = RefundRequest(key="rma-1", order=ORDER, currency="DKK")
    result = _refund([RefundLine(sku="A", quantity=1), RefundLine(sku="A", quantity=2), RefundLine(sku="B", quantity=1)])
    first = adapter.restock_refund(request, result)
    again = adapter.restock_refund(request, result)
    assert [(r.key, r.outcome) for r in first.restocked] == [
        ("rma-1:restock:A", StockOutcome.APPLIED), ("rma-1:restock:B", StockOutcome.APPLIED)]
    assert [r.outcome for r in again.restocked] == [StockOutcome.ALREADY_APPLIED] * 2
    assert store.stock == {"A": 4, "B": 1}
    assert (first.refund, first.created) == (result.refund, True)


def test_restock_refund_does_nothing_when_the_request_keeps_the_items():
    adapter, store = _adapter({"A": 1})
    request = RefundRequest(key="rma-2", order=ORDER, currency="DKK", restock=False)
    assert adapter.restock_refund(request, _refund([RefundLine(sku="A", quantity=1)])).restocked == ()
    assert store.stock == {"A": 1}


def test_the_refund_lock_serialises_refunds_of_one_order_across_adapters_sharing_the_callers_locks():
    locks = Locks(MemoryBackend())
    first, _ = _adapter({"A": 1}, locks)
    second, _ = _adapter({"A": 1}, locks)
    events = []

    def work(adapter, name):
        with adapter.refund_lock(ORDER):
            events.append(f"{name} in")
            time.sleep(0.05)
            events.append(f"{name} out")

    threads = [threading.Thread(target=work, args=(adapter, name)) for adapter, name in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert events in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
