"""Tests for the opt-in base mechanics: batched absolute stock writes, and refunds that cannot restock or live in notes."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from koongo.http import PermanentError, RateLimited, TransientError
from platforms.base import (
    Capability,
    Money,
    RefundLine,
    RefundRequest,
    StockChange,
    StockOutcome,
    StoreOrderRef,
    StoreRefund,
)
from tests.platforms.fake_adapter import AbsoluteAdapter, FakeStore


class BatchedAdapter(AbsoluteAdapter):
    """Absolute stock written in batches; refunds recorded in memory, never restocked by the "store" (no REFUND_RESTOCK)."""

    code = "fake_batched"
    capabilities = frozenset({Capability.REFUND_SYNC})

    def adjust_stock(self, changes):
        return self.adjust_stock_in_batches(changes, batch_size=3)

    def _stock_read_many(self, skus):
        self.store.reads.append(sorted(skus))
        found = {sku: self.store.stock[sku] for sku in skus if sku in self.store.stock}
        time.sleep(self.store.read_delay)
        return found

    def _stock_write_many(self, quantities):
        error = self.store._scripted("before")
        if error:
            raise error
        refused = {sku: PermanentError("negative stock refused") for sku, quantity in quantities.items() if quantity < -100}
        for sku, quantity in quantities.items():
            if sku not in refused:
                self.store.stock[sku] = quantity
        self.store.writes.append(dict(quantities))
        error = self.store._scripted("after")
        if error:
            raise error
        return refused

    def _find_refund(self, request):
        return self.store.refunds.get(request.key)

    def _create_refund(self, request):
        refund = StoreRefund(
            refund_id=f"r-{request.key}",
            order=request.order,
            lines=request.lines,
            total=Money(amount=Decimal("10"), currency="EUR"),
            created_at=datetime.now(UTC),
            origin_key=request.key,
        )
        self.store.refunds[request.key] = refund
        return refund


def _adapter(stock, read_delay=0.0):
    store = FakeStore(stock, read_delay=read_delay)
    store.reads, store.refunds = [], {}
    BatchedAdapter.stores["b1"] = store
    return BatchedAdapter({"store": "b1", "api_key": "good"}), store


def test_changes_are_read_and_written_per_batch_and_repeats_of_a_sku_apply_in_order():
    adapter, store = _adapter({"A": 10, "B": 5, "C": 1, "D": 0})
    changes = [
        StockChange(key="k1", sku="A", delta=-1),
        StockChange(key="k2", sku="A", delta=-2),
        StockChange(key="k3", sku="B", delta=3),
        StockChange(key="k4", sku="C", delta=-1),
        StockChange(key="k5", sku="D", delta=2),
    ]
    results = adapter.adjust_stock(changes)
    assert [(r.key, r.outcome, r.quantity) for r in results] == [
        ("k1", StockOutcome.APPLIED, 9),
        ("k2", StockOutcome.APPLIED, 7),
        ("k3", StockOutcome.APPLIED, 8),
        ("k4", StockOutcome.APPLIED, 0),
        ("k5", StockOutcome.APPLIED, 2),
    ]
    assert store.reads == [["A", "B", "C"], ["A", "D"]]
    assert store.writes == [{"A": 9, "B": 8, "C": 0}, {"A": 7, "D": 2}]
    assert [r.outcome for r in adapter.adjust_stock(changes[:2])] == [StockOutcome.ALREADY_APPLIED] * 2


def test_an_unknown_sku_and_a_refused_item_fail_alone():
    adapter, store = _adapter({"A": 10, "B": -100})
    bad, refused, good = adapter.adjust_stock(
        [
            StockChange(key="u", sku="NOPE", delta=1),
            StockChange(key="r", sku="B", delta=-1),
            StockChange(key="g", sku="A", delta=1),
        ]
    )
    assert (bad.outcome, bad.retryable, "NOPE" in bad.error) == (StockOutcome.FAILED, False, True)
    assert (refused.outcome, refused.error) == (StockOutcome.FAILED, "negative stock refused")
    assert (good.outcome, store.stock) == (StockOutcome.APPLIED, {"A": 11, "B": -100})
    [again] = adapter.adjust_stock([StockChange(key="r", sku="B", delta=1)])
    assert again.outcome == StockOutcome.APPLIED  # a refused write was not applied, so the key may be sent again


def test_a_batch_timing_out_after_the_store_applied_it_is_ambiguous_and_never_resent():
    adapter, store = _adapter({"A": 10, "B": 5})
    store.script = [("after", TransientError("timed out"))]
    changes = [StockChange(key="t1", sku="A", delta=-1), StockChange(key="t2", sku="B", delta=-1)]
    assert [r.outcome for r in adapter.adjust_stock(changes)] == [StockOutcome.AMBIGUOUS] * 2
    assert [r.outcome for r in adapter.adjust_stock(changes)] == [StockOutcome.AMBIGUOUS] * 2
    assert (store.stock, len(store.writes)) == ({"A": 9, "B": 4}, 1)


def test_a_throttled_batch_fails_retryably_and_may_be_sent_again():
    adapter, store = _adapter({"A": 10})
    store.script = [("before", RateLimited("slow down", retry_after=3))]
    [first] = adapter.adjust_stock([StockChange(key="t", sku="A", delta=-1)])
    assert (first.outcome, first.retryable, first.retry_after) == (StockOutcome.FAILED, True, 3)
    [second] = adapter.adjust_stock([StockChange(key="t", sku="A", delta=-1)])
    assert (second.outcome, store.stock["A"]) == (StockOutcome.APPLIED, 9)


def test_concurrent_batches_on_shared_skus_lose_no_update():
    adapter, store = _adapter({"A": 20, "B": 20}, read_delay=0.002)

    def worker(name):
        return adapter.adjust_stock([StockChange(key=f"{name}-{i}", sku="AB"[i % 2], delta=-1) for i in range(6)])

    with ThreadPoolExecutor(3) as pool:
        outcomes = [r.outcome for batch in pool.map(worker, ["x", "y", "z"]) for r in batch]
    assert outcomes == [StockOutcome.APPLIED] * 18
    assert store.stock == {"A": 11, "B": 11}


def test_a_refund_restocks_its_skus_once_even_when_created_again():
    adapter, store = _adapter({"TEE": 3, "CAP": 1})
    order = StoreOrderRef(id="9", reference="o-9")
    request = RefundRequest(
        key="rma-1",
        order=order,
        currency="EUR",
        lines=(RefundLine(sku="TEE", quantity=1), RefundLine(sku="TEE", quantity=1), RefundLine(sku="CAP", quantity=1)),
    )
    first = adapter.create_refund(request)
    second = adapter.create_refund(request)
    assert (first.created, second.created) == (True, False)
    assert [(r.key, r.outcome, r.quantity) for r in first.restocked] == [
        ("rma-1:restock:TEE", StockOutcome.APPLIED, 5),
        ("rma-1:restock:CAP", StockOutcome.APPLIED, 2),
    ]
    assert [r.outcome for r in second.restocked] == [StockOutcome.ALREADY_APPLIED] * 2
    assert store.stock == {"TEE": 5, "CAP": 2}


def test_a_store_whose_refund_restocks_gets_no_second_restock():
    adapter, store = _adapter({"TEE": 3})
    adapter.capabilities = adapter.capabilities | {Capability.REFUND_RESTOCK}
    request = RefundRequest(key="rma-2", order=StoreOrderRef(id="9"), currency="EUR", lines=(RefundLine(sku="TEE", quantity=1),))
    result = adapter.create_refund(request)
    assert (result.created, result.restocked, store.stock) == (True, (), {"TEE": 3})


def test_a_refund_kept_in_notes_waits_for_a_note_write_on_its_order():
    adapter, store = _adapter({"TEE": 3})
    adapter.refunds_in_notes = True
    order = StoreOrderRef(id="9")
    events = []

    def note_writer(holding):
        with adapter.note_lock(order):
            holding.set()
            time.sleep(0.05)
            events.append("note written")

    holding = threading.Event()
    thread = threading.Thread(target=note_writer, args=(holding,))
    thread.start()
    holding.wait(2)
    request = RefundRequest(key="rma-3", order=order, currency="EUR", restock=False, lines=(RefundLine(sku="TEE", quantity=1),))
    adapter.create_refund(request)
    events.append("refund created")
    thread.join()
    assert events == ["note written", "refund created"]


def test_a_refund_without_restock_moves_no_stock_and_refunds_of_one_order_run_one_at_a_time():
    adapter, store = _adapter({"TEE": 3})
    order = StoreOrderRef(id="9")
    inside, overlaps = [], []
    original = adapter._create_refund

    def slow_create(request):
        if inside:
            overlaps.append(request.key)
        inside.append(request.key)
        time.sleep(0.02)
        inside.remove(request.key)
        return original(request)

    adapter._create_refund = slow_create
    requests = [
        RefundRequest(key=f"k{i}", order=order, currency="EUR", restock=False, lines=(RefundLine(sku="TEE", quantity=1),))
        for i in range(3)
    ]
    threads = [threading.Thread(target=adapter.create_refund, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (overlaps, sorted(store.refunds), store.stock) == ([], ["k0", "k1", "k2"], {"TEE": 3})


def test_a_batch_whose_sku_lock_stays_busy_fails_retryably_and_sends_nothing():
    adapter, store = _adapter({"A": 10})
    adapter.stock_lock_timeout = 0.05
    with adapter.locks.wait_for(f"stock:{adapter.code}:{adapter.scope}:A", ttl=5, timeout=1):
        [busy] = adapter.adjust_stock([StockChange(key="b1", sku="A", delta=-1)])
    assert (busy.outcome, busy.retryable, busy.error, store.writes) == (StockOutcome.FAILED, True, "a stock lock stayed busy", [])
    [done] = adapter.adjust_stock([StockChange(key="b1", sku="A", delta=-1)])
    assert (done.outcome, store.stock["A"]) == (StockOutcome.APPLIED, 9)
