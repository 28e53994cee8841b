"""The stock ledger's marks live in PostgreSQL: a retried stock change is not applied twice after Redis lost its data."""

from __future__ import annotations

import pytest

from connections import clients
from connections.models import StockChangeMark
from connections.stock_ledger import DatabaseLedgerRecords
from koongo import coordination
from koongo.accounts.tenancy import merchant_scope
from platforms.mechanics import LedgerState
from platforms.values import StockChange, StockOutcome
from tests.rma.conftest import build_world


@pytest.fixture
def prestashop_world(merchant):
    """PrestaShop writes absolute stock and has no idempotency key: only our ledger stands between a retry and a double."""
    yield from build_world(merchant, "prestashop")


def _lose_coordination_data():
    """What a Redis restart without persistence does: every lock, bucket and cached mark is gone."""
    shared = coordination.backend()
    if isinstance(shared, coordination.RedisBackend):
        keys = list(shared.redis.scan_iter(f"{shared.prefix}:*"))
        if keys:
            shared.redis.delete(*keys)
    else:
        shared.cache.clear()


def test_a_retried_stock_change_is_not_applied_again_after_redis_lost_its_data(prestashop_world):
    world = prestashop_world
    change = StockChange(key="miinto-position:1:4242", sku="TEE-BLK-M", delta=-1, reason="Miinto order 77")
    before = world.store.stock_of("TEE-BLK-M")
    with clients.store_adapter(world.connection.store_connection) as adapter:
        assert [r.outcome for r in adapter.adjust_stock([change])] == [StockOutcome.APPLIED]
    _lose_coordination_data()
    with clients.store_adapter(world.connection.store_connection) as adapter:
        assert [r.outcome for r in adapter.adjust_stock([change])] == [StockOutcome.ALREADY_APPLIED]
    assert world.store.stock_of("TEE-BLK-M") == before - 1
    with merchant_scope(world.merchant):
        mark = StockChangeMark.objects.get()
    assert (mark.merchant_id, mark.key, mark.state) == (world.merchant.pk, "miinto-position:1:4242", "done")


def test_database_marks_advance_sent_to_done_and_never_back(merchant, other_merchant):
    records = DatabaseLedgerRecords(merchant.pk)
    assert records.state("shop:a", "k") is LedgerState.NEW
    records.mark("shop:a", "k", LedgerState.SENT)
    assert records.state("shop:a", "k") is LedgerState.SENT
    records.forget_sent("shop:a", "k")
    assert records.state("shop:a", "k") is LedgerState.NEW
    records.mark("shop:a", "k", LedgerState.SENT)
    records.mark("shop:a", "k", LedgerState.DONE)
    records.mark("shop:a", "k", LedgerState.SENT)  # a late "sent" never undoes "done"
    records.forget_sent("shop:a", "k")
    assert records.state("shop:a", "k") is LedgerState.DONE
    # Another merchant's ledger, and another store's namespace, are separate.
    assert DatabaseLedgerRecords(other_merchant.pk).state("shop:a", "k") is LedgerState.NEW
    assert records.state("shop:b", "k") is LedgerState.NEW
