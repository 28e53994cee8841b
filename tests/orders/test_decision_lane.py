"""One running decision batch per Miinto account: a second batch of the account parks its pushes and frees its worker
(for store pushes, say) instead of waiting on the account's rate limit beside the first; the running one sends them."""

import pytest
from django.test import TestCase

from connections import services
from connections.sync.outbox import outbox_execute
from connections.sync.runs import sync_request, sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from orders import decision_batches
from orders.decision_batches import DECISION_BATCH, decision_batch_run, lane_key
from orders.decisions import positions_decide
from orders.models import DecisionPush, Position, StorePush
from tests.orders.conftest import GTIN_TEE_M, PASSWORD, SE_SHOP, USER


def _pushes(world, count: int, *, shop=None) -> list[int]:
    """`count` transfers offered and decided by an orders run (publishing nothing here): their pending pushes' ids."""
    before = set(DecisionPush.objects.values_list("pk", flat=True))
    for _ in range(count):
        world.offer((GTIN_TEE_M, 10000, 1), **({"shop": shop.shop_id} if shop else {}))
    with merchant_scope(world.merchant), TestCase.captureOnCommitCallbacks(execute=False):
        sync_run_execute(sync_request(connection=shop or world.connection, flow="orders", trigger="button"))
        if shop:  # its market's prices make the rule wait: the merchant declines by hand
            positions_decide(merchant=world.merchant, positions=list(Position.objects.filter(connection=shop, status="pending")),
                             outcome="decline", actor="owner@nordic.example")
    return sorted(set(DecisionPush.objects.values_list("pk", flat=True)) - before)


def _decided(world) -> list[int]:
    return [effect["transferId"] for effect in world.decisions_on_miinto()]


def _miinto_id(pk: int) -> int:
    return DecisionPush.objects.select_related("transfer").get(pk=pk).transfer.miinto_id


@pytest.fixture
def second_shop(world):
    """A second connection of the same Miinto account (another shop): it shares the account's rate limit and lane."""
    with merchant_scope(world.merchant):
        connection = services.miinto_connection_create(
            merchant=world.merchant, environment="simulator", username=USER, password=PASSWORD, shop_id=SE_SHOP,
            store_connection=world.connection.store_connection, activate=True,
        )
        services.order_configuration_update(configuration=connection.order_configuration, auto_accept=True)
    return connection


def test_a_second_batch_of_the_account_parks_its_pushes_and_frees_its_worker_for_store_pushes(world, monkeypatch):
    world.configure(auto_accept=True)
    first, second = _pushes(world, 2), _pushes(world, 1)
    seen = {}
    real_send = decision_batches.decision_push_send

    def send(push, client, **kwargs):
        order = real_send(push, client, **kwargs)
        if not seen:
            # The other worker, while this batch runs: it takes the account's second batch, then the first order's
            # store push, and neither waits for Miinto.
            decided = len(world.decisions_on_miinto())
            seen["second"] = decision_batch_run(second)
            seen["miinto_calls"] = len(world.decisions_on_miinto()) - decided
            seen["store"] = [outbox_execute("orders.storepush", pk) for pk in StorePush.objects.values_list("pk", flat=True)]
        return order

    monkeypatch.setattr(decision_batches, "decision_push_send", send)
    assert decision_batch_run(first) == {"done": 3}
    assert seen == {"second": {"merged": 1}, "miinto_calls": 0, "store": ["done"]}
    # Decided in order: the batch's own pushes, then the parked one; each order went to the store once.
    assert _decided(world) == [_miinto_id(pk) for pk in first + second]
    assert len(world.store_orders()) == 1 and StorePush.objects.filter(state="pending").count() == 2


def test_the_lane_runs_what_other_connections_of_the_account_parked_but_not_what_a_run_has_not_published(world, second_shop):
    world.configure(auto_accept=True)
    own, other_shop = _pushes(world, 1), _pushes(world, 1, shop=second_shop)
    with locks().lease(lane_key(world.connection), 60):
        assert decision_batch_run(other_shop) == {"merged": 1}
    unpublished = _pushes(world, 1)  # a run still reading its pages: deciding now would shift Miinto's pending list

    assert decision_batch_run(own) == {"done": 2}
    assert sorted(_decided(world)) == sorted(_miinto_id(pk) for pk in own + other_shop)
    shops = {effect["transferId"]: effect["shopId"] for effect in world.decisions_on_miinto()}
    assert shops[_miinto_id(other_shop[0])] == second_shop.shop_id  # sent with its own connection's client
    assert DecisionPush.objects.get(pk=unpublished[0]).state == "pending"


def test_a_holder_that_released_takes_the_lane_back_for_pushes_parked_meanwhile(world, monkeypatch):
    world.configure(auto_accept=True)
    first, second = _pushes(world, 1), _pushes(world, 1)
    real_drain = decision_batches._drain
    late = {}

    def drain(account, pushes, lease):
        outcome = real_drain(account, pushes, lease)
        if not late:  # parked after the holder's last look, before it released the lane
            late["second"] = decision_batch_run(second)
        return outcome

    monkeypatch.setattr(decision_batches, "_drain", drain)
    assert decision_batch_run(first) == {"done": 2}
    assert late == {"second": {"merged": 1}}
    assert sorted(_decided(world)) == sorted(_miinto_id(pk) for pk in first + second)


def test_after_its_turn_the_holder_queues_the_parked_rest_behind_what_waits(world, monkeypatch):
    world.configure(auto_accept=True)
    first, rest = _pushes(world, 1), _pushes(world, 2)
    with locks().lease(lane_key(world.connection), 60):
        assert decision_batch_run(rest) == {"merged": 2}
    queued = []
    monkeypatch.setattr(decision_batches, "TURN_SECONDS", -1)
    monkeypatch.setattr(decision_batches, "enqueue", lambda name, *args: queued.append((name, *args)))

    assert decision_batch_run(first) == {"done": 1}
    assert queued == [(DECISION_BATCH, rest)]
    assert _decided(world) == [_miinto_id(first[0])]
    assert decision_batch_run(rest) == {"done": 2}  # the queued batch takes the lane in its turn


def test_batches_of_another_account_do_not_wait_for_the_lane(world):
    world.configure(auto_accept=True)
    pushes = _pushes(world, 1)
    other = world.connection.__class__(environment=world.connection.environment, username="someone-else@example.com")
    with locks().lease(lane_key(other), 60):
        assert decision_batch_run(pushes) == {"done": 1}
