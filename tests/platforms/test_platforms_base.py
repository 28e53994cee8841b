"""Tests for the protocol's shared mechanics: the stock ledger, idempotent creation, notes, watermarks, capabilities."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from koongo.http import PermanentError, RateLimited, TransientError
from platforms.base import (
    Capability,
    ProductNotFound,
    StockChange,
    StockOutcome,
    StoreAdapter,
    StoreOrderRef,
    Unsupported,
)
from tests.platforms.contract.catalog import make_draft
from tests.platforms.fake_adapter import AbsoluteAdapter, FakeStore, RelativeAdapter


def _adapter(cls=AbsoluteAdapter, stock=None, **kwargs):
    store = FakeStore(stock or {"A": 10}, **kwargs)
    cls.stores["s1"] = store
    return cls({"store": "s1", "api_key": "good"}), store


def test_an_absolute_change_is_applied_then_reported_already_applied():
    adapter, store = _adapter()
    change = StockChange(key="k1", sku="A", delta=-3)
    [first] = adapter.adjust_stock([change])
    [second] = adapter.adjust_stock([change])
    assert (first.outcome, first.quantity) == (StockOutcome.APPLIED, 7)
    assert second.outcome == StockOutcome.ALREADY_APPLIED
    assert store.writes == [("A", 7)]


def test_a_timeout_after_an_absolute_write_is_ambiguous_and_stays_so_without_resending():
    adapter, store = _adapter()
    store.script = [("after", TransientError("timed out: ReadTimeout"))]
    change = StockChange(key="k1", sku="A", delta=-1)
    [first] = adapter.adjust_stock([change])
    [again] = adapter.adjust_stock([change])
    assert (first.outcome, again.outcome) == (StockOutcome.AMBIGUOUS, StockOutcome.AMBIGUOUS)
    assert "outcome is unknown" in again.error
    assert store.writes == [("A", 9)]


def test_a_throttled_write_fails_retryably_and_a_later_retry_applies_it():
    adapter, store = _adapter()
    store.script = [("before", RateLimited("slow down", status=429, retry_after=2.0))]
    change = StockChange(key="k1", sku="A", delta=-1)
    [first] = adapter.adjust_stock([change])
    assert (first.outcome, first.retryable, first.retry_after) == (StockOutcome.FAILED, True, 2.0)
    assert store.stock["A"] == 10
    [second] = adapter.adjust_stock([change])
    assert second.outcome == StockOutcome.APPLIED
    assert store.stock["A"] == 9


def test_a_refused_write_fails_permanently_and_a_failed_read_sends_nothing():
    adapter, store = _adapter()
    store.script = [("before", PermanentError("bad quantity", status=422))]
    [refused] = adapter.adjust_stock([StockChange(key="k1", sku="A", delta=-1)])
    store.script = [("read", TransientError("timed out"))]
    [unread] = adapter.adjust_stock([StockChange(key="k2", sku="A", delta=-1)])
    assert (refused.outcome, refused.retryable) == (StockOutcome.FAILED, False)
    assert (unread.outcome, unread.retryable) == (StockOutcome.FAILED, True)
    assert store.writes == []


def test_absolute_writes_from_two_workers_lose_no_update():
    adapter, store = _adapter(read_delay=0.002)

    def worker(name):
        return [r.outcome for r in adapter.adjust_stock([StockChange(key=f"{name}{i}", sku="A", delta=-1) for i in range(5)])]

    with ThreadPoolExecutor(2) as pool:
        outcomes = [o for batch in pool.map(worker, "xy") for o in batch]
    assert outcomes == [StockOutcome.APPLIED] * 10
    assert store.stock["A"] == 0


def test_without_the_per_sku_lock_the_same_workers_would_lose_updates(monkeypatch):
    """Proves the test above can fail: the lock, not luck, keeps the count right."""
    import contextlib

    adapter, store = _adapter(read_delay=0.002)
    real_wait_for = adapter.locks.wait_for
    monkeypatch.setattr(
        adapter.locks,
        "wait_for",
        lambda key, **kw: contextlib.nullcontext() if key.startswith("stock:") else real_wait_for(key, **kw),
    )
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda n: adapter.adjust_stock([StockChange(key=f"{n}{i}", sku="A", delta=-1) for i in range(5)]), "xy"))
    assert store.stock["A"] > 0


def test_a_store_that_dedupes_keys_gets_the_write_resent_after_a_timeout():
    adapter, store = _adapter(RelativeAdapter)
    store.script = [("after", TransientError("timed out"))]
    [result] = adapter.adjust_stock([StockChange(key="k1", sku="A", delta=-4)])
    assert (result.outcome, result.quantity) == (StockOutcome.APPLIED, 6)
    assert store.writes == [("A", -4)]


def test_a_store_that_dedupes_keys_reports_a_twice_unconfirmed_write_as_retryable():
    adapter, store = _adapter(RelativeAdapter)
    store.script = [("after", TransientError("timed out")), ("after", TransientError("timed out"))]
    [result] = adapter.adjust_stock([StockChange(key="k1", sku="A", delta=-4)])
    assert (result.outcome, result.retryable) == (StockOutcome.FAILED, True)
    [retried] = adapter.adjust_stock([StockChange(key="k1", sku="A", delta=-4)])
    assert retried.outcome == StockOutcome.APPLIED
    assert store.stock["A"] == 6


def test_create_idempotently_returns_the_found_object_without_creating():
    created = []
    assert StoreAdapter.create_idempotently(lambda: "found", lambda: created.append(1)) == ("found", False)
    assert created == []


def test_create_idempotently_looks_up_again_after_a_timeout():
    lookups = iter([None, "made-before-timeout"])

    def create():
        raise TransientError("timed out")

    assert StoreAdapter.create_idempotently(lambda: next(lookups), create) == ("made-before-timeout", True)


def test_create_idempotently_raises_the_timeout_when_nothing_was_made():
    with pytest.raises(TransientError, match="first"):
        StoreAdapter.create_idempotently(lambda: None, lambda: (_ for _ in ()).throw(TransientError("first")))


def test_create_idempotently_resends_when_the_store_dedupes_keys():
    attempts = []

    def create():
        attempts.append(1)
        if len(attempts) == 1:
            raise TransientError("timed out")
        return "refund-1"

    assert StoreAdapter.create_idempotently(lambda: None, create, resend_safe=True) == ("refund-1", True)
    assert len(attempts) == 2


def test_create_idempotently_prefers_finding_over_resending():
    attempts = []
    lookups = iter([None, "made-before-timeout"])

    def create():
        attempts.append(1)
        raise TransientError("timed out")

    assert StoreAdapter.create_idempotently(lambda: next(lookups), create, resend_safe=True) == ("made-before-timeout", True)
    assert len(attempts) == 1


def test_create_idempotently_lets_a_throttle_through_without_a_second_lookup():
    lookups = []

    def lookup():
        lookups.append(1)

    with pytest.raises(RateLimited):
        StoreAdapter.create_idempotently(lookup, lambda: (_ for _ in ()).throw(RateLimited("slow", retry_after=1)))
    assert lookups == [1]


def test_a_busy_order_lock_surfaces_as_a_retryable_error_and_creates_nothing():
    adapter, _ = _adapter()
    with adapter.locks.wait_for("order:fake_absolute:s1:o9", ttl=60, timeout=1):
        with pytest.raises(TransientError, match="another worker holds order:fake_absolute:s1:o9") as raised:
            with adapter.exclusive("order", "o9", timeout=0.05):
                raise AssertionError("must not run while another worker holds the lock")
    assert raised.value.code == "lock_busy"


def test_a_busy_stock_lock_fails_that_change_retryably_without_sending():
    adapter, store = _adapter()
    with adapter.locks.wait_for("stock:fake_absolute:s1:A", ttl=60, timeout=1):
        adapter.stock_lock_timeout = 0.05
        [result] = adapter.adjust_stock([StockChange(key="k1", sku="A", delta=-1)])
    assert (result.outcome, result.retryable) == (StockOutcome.FAILED, True)
    [retried] = adapter.adjust_stock([StockChange(key="k1", sku="A", delta=-1)])
    assert retried.outcome == StockOutcome.APPLIED
    assert store.writes == [("A", 9)]


def test_a_note_is_added_once():
    adapter, store = _adapter()
    order = StoreOrderRef(id="9", reference="r")
    assert adapter.update_order_note(order, "label link") is True
    assert adapter.update_order_note(order, "label link") is False
    assert store.notes == {"9": "label link"}


def test_a_missing_capability_raises_unsupported_naming_platform_and_capability():
    adapter, _ = _adapter(RelativeAdapter)
    with pytest.raises(Unsupported, match="Fake Relative does not support order_notes") as raised:
        adapter.update_order_note(StoreOrderRef(id="9"), "x")
    assert raised.value.capability == Capability.ORDER_NOTES
    with pytest.raises(Unsupported):
        adapter.verify_webhook({}, b"")
    with pytest.raises(Unsupported):
        adapter.refunds_since(datetime.now(UTC))


def test_the_listing_window_starts_one_overlap_before_the_watermark():
    adapter, _ = _adapter()
    watermark = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert adapter.window_start(watermark) == watermark - timedelta(minutes=10)
    with pytest.raises(ValueError):
        adapter.window_start(datetime(2026, 3, 1, 12, 0))


def test_resolving_a_draft_names_the_identifiers_that_match_nothing():
    adapter, _ = _adapter(stock={"KNIT-NAVY-M": 1})
    with pytest.raises(ProductNotFound) as raised:
        adapter.resolve_products(make_draft("o1", "EUR"))
    assert raised.value.identifiers == ("TEE-WHITE-M",)
    assert str(raised.value) == "Fake Absolute has no product with sku TEE-WHITE-M"


def test_credentials_are_validated_from_a_mapping_and_keep_secrets_out_of_repr():
    adapter, _ = _adapter()
    assert "good" not in repr(adapter.credentials)
    with pytest.raises(ValidationError):
        AbsoluteAdapter({"store": "s1"})
    fields = [(f.name, f.secret, f.required) for f in AbsoluteAdapter.credentials_model.form_fields()]
    assert fields == [("store", False, True), ("api_key", True, True)]


def test_values_refuse_what_the_stores_would_refuse():
    with pytest.raises(ValidationError):
        StockChange(key="k", sku="A", delta=0)
    with pytest.raises(ValidationError):
        make_draft("o1", "EURO")
    draft = make_draft("o1", "eur")
    assert (draft.currency, draft.total) == ("EUR", Decimal("135.00"))
    assert StoreOrderRef.model_validate_json(StoreOrderRef(id="1", reference="r").model_dump_json()) == StoreOrderRef(
        id="1", reference="r"
    )
