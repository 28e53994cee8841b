"""Contract: stock adjustments are applied once, never lose an update under concurrency, and report ambiguity."""

from concurrent.futures import ThreadPoolExecutor

from platforms.base import Capability, StockChange, StockOutcome


def test_two_workers_adjusting_one_sku_lose_no_update(seeded):
    seeded.faults(latency_ms=2)  # widens each read-to-write window, so a missing lock would lose updates

    def worker(name: str):
        changes = [StockChange(key=f"{name}-{i}", sku="KNIT-NAVY-S", delta=-1) for i in range(5)]
        return seeded.adapter().adjust_stock(changes)

    with ThreadPoolExecutor(2) as pool:
        results = [result for batch in pool.map(worker, ["a", "b"]) for result in batch]
    assert [result.outcome for result in results] == [StockOutcome.APPLIED] * 10
    assert seeded.app.stock_of("KNIT-NAVY-S") == 0


def test_repeating_a_change_reports_it_already_applied_and_moves_nothing(seeded):
    change = StockChange(key="sale-7", sku="TEE-WHITE-M", delta=-2)
    [first] = seeded.adapter().adjust_stock([change])
    [second] = seeded.adapter().adjust_stock([change])
    assert (first.outcome, second.outcome) == (StockOutcome.APPLIED, StockOutcome.ALREADY_APPLIED)
    assert seeded.app.stock_of("TEE-WHITE-M") == 1


def test_a_write_timing_out_after_the_store_applied_it_is_never_applied_twice(seeded):
    adapter = seeded.adapter()
    change = StockChange(key="sale-8", sku="CAP-BLACK", delta=-1)
    seeded.time_out("stock_write", after=True)
    [result] = adapter.adjust_stock([change])
    if seeded.supports(Capability.IDEMPOTENT_STOCK):
        assert result.outcome == StockOutcome.APPLIED
    else:
        assert result.outcome == StockOutcome.AMBIGUOUS
        [again] = adapter.adjust_stock([change])
        assert again.outcome == StockOutcome.AMBIGUOUS
    assert seeded.app.stock_of("CAP-BLACK") == 4


def test_an_unknown_sku_fails_alone(seeded):
    bad, good = seeded.adapter().adjust_stock(
        [StockChange(key="sale-9", sku="NO-SUCH-SKU", delta=-1), StockChange(key="sale-10", sku="TEE-WHITE-L", delta=3)]
    )
    assert (bad.outcome, bad.retryable) == (StockOutcome.FAILED, False)
    assert good.outcome == StockOutcome.APPLIED
    assert seeded.app.stock_of("TEE-WHITE-L") == 7
