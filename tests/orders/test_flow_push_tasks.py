"""The orders run reads and decides only; telling Miinto and putting orders in the store run in their own tasks."""

from orders.models import DecisionPush, Order, StorePush
from tests.orders.conftest import GTIN_TEE_M


def _store_operations(world) -> list[str]:
    return [world.shopify.operation_of(request) for request in world.shopify_transport.sent]


def test_an_orders_run_queues_its_pushes_and_runs_none_of_them(world):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_TEE_M, 10000, 1))
    store_calls_before = len(world.shopify_transport.sent)
    run = world.sync(pushes=False)
    assert (run.status, run.accepted, run.pushed) == ("succeeded", 2, 0)
    assert world.decisions_on_miinto() == [] and world.store_orders() == []
    assert sorted(DecisionPush.objects.values_list("state", flat=True)) == ["pending", "pending"]
    assert not StorePush.objects.exists()
    assert "order_create" not in _store_operations(world)[store_calls_before:]

    world.run_due_pushes()
    assert len(world.decisions_on_miinto()) == 2 and len(world.store_orders()) == 2
    assert Order.objects.count() == 2


def test_a_push_tells_miinto_the_decision_before_it_fetches_the_order(world):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    calls = [(request.method, request.url.path) for request in world.miinto_transport.sent]
    patch = next(i for i, (method, path) in enumerate(calls) if method == "PATCH" and "/transfers/" in path)
    fetch = next(i for i, (method, path) in enumerate(calls) if method == "GET" and "/orders/" in path)
    assert patch < fetch
    assert len(world.store_orders()) == 1


def test_a_first_store_push_creates_the_order_in_one_store_call(world):
    """No look-up by our key (nothing can have reached the store yet) and no product resolution (the catalog knows it)."""
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync(pushes=False)
    before = len(world.shopify_transport.sent)
    world.run_due_pushes()
    assert _store_operations(world)[before:] == ["order_create"]
    assert len(world.store_orders()) == 1
