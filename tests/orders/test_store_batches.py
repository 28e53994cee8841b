"""Store pushes run in batches: a decision batch publishes its orders' store pushes a chunk at a time, and a batch writes
what its pushes created (ids, positions, order.pushed) a chunk at a time, leaving a failed push to its retry."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import ActivityEntry, Direction
from connections.sync import outbox
from connections.sync.enqueue import OUTBOX_EXECUTE
from koongo.http import TransientError
from orders import store_batches
from orders.decision_batches import decision_batch_run
from orders.models import DecisionPush, Order, Position, StorePush
from orders.store_batches import STORE_BATCH, store_batch_run
from tests.orders.conftest import GTIN_TEE_M
from webhooks import services as webhook_services
from webhooks.event_types import ORDER_PUSHED
from webhooks.models import WebhookDelivery


@pytest.fixture
def endpoint(world):
    endpoint, _ = webhook_services.endpoint_create(merchant=world.merchant, url="http://127.0.0.1:9/hooks", event_types=[ORDER_PUSHED])
    return endpoint


def _decided(world, orders: int, monkeypatch) -> list[tuple]:
    """`orders` accepted transfers read and decided; returns what the decision batch published, in order."""
    world.configure(auto_accept=True)
    for _ in range(orders):
        world.offer((GTIN_TEE_M, 10000, 1))
    world.sync(pushes=False)
    published: list[tuple] = []
    monkeypatch.setattr(store_batches, "enqueue", lambda name, *args: published.append((name, *args)))
    monkeypatch.setattr(outbox, "enqueue", lambda name, *args: published.append((name, *args)))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert decision_batch_run(list(DecisionPush.objects.values_list("pk", flat=True))) == {"done": orders}
    return published


def _pushed_events() -> dict[int, str]:
    with scopes_disabled():
        return {d.payload["data"]["order_id"]: d.payload["data"]["store_order_id"] for d in WebhookDelivery.objects.filter(event_type=ORDER_PUSHED)}


def test_a_decision_batch_publishes_its_store_pushes_as_one_batch_not_a_task_each(world, monkeypatch):
    published = _decided(world, 3, monkeypatch)
    assert published == [(STORE_BATCH, sorted(StorePush.objects.values_list("pk", flat=True)))]
    assert not any(name == OUTBOX_EXECUTE for name, *_ in published)
    assert set(StorePush.objects.values_list("state", flat=True)) == {"pending"}  # the sweeper's, if the batch never runs


def test_a_batch_puts_every_order_in_the_store_and_writes_what_one_push_would(world, endpoint, monkeypatch):
    [(_name, pks)] = _decided(world, 3, monkeypatch)
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert store_batch_run(pks) == {"done": 3}
    assert len(world.store_orders()) == 3
    orders = list(Order.objects.order_by("pk"))
    assert {order.status for order in orders} == {"in_store"} and all(order.store_order_id for order in orders)
    for push in StorePush.objects.select_related("order"):
        assert push.state == "done" and push.result == {"store_order_id": push.order.store_order_id, "name": push.order.store_order_name}
    assert not Position.objects.filter(awaiting_store=True).exists()
    assert _pushed_events() == {order.pk: order.store_order_id for order in orders}
    calls = ActivityEntry.objects.filter(direction=Direction.TO_STORE, subject_type="order")
    assert sorted(int(pk) for pk in calls.values_list("subject_id", flat=True)) == [order.pk for order in orders]


def test_a_failed_push_leaves_the_rest_of_its_chunk_done_and_its_retry_puts_its_order_in_the_store(world, endpoint, monkeypatch):
    from platforms.shopify.adapter import ShopifyAdapter

    [(_name, pks)] = _decided(world, 3, monkeypatch)
    real, refusals = ShopifyAdapter._create_order, [TransientError("the store answered 503")]

    def create_once_refused(adapter, draft, products):
        if refusals:
            raise refusals.pop()
        return real(adapter, draft, products)

    monkeypatch.setattr(ShopifyAdapter, "_create_order", create_once_refused)
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert store_batch_run(pks) == {"done": 2, "failed": 1}
    failed = StorePush.objects.get(state="failed")
    assert Order.objects.get(pk=failed.order_id).status != "in_store" and failed.order_id not in _pushed_events()
    assert Order.objects.filter(status="in_store").count() == 2 and len(_pushed_events()) == 2
    # Its retry (the sweeper hands it to one worker) looks the order up by our key first, then creates it.
    StorePush.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.outbox_execute(failed._meta.label_lower, failed.pk) == "done"
    assert len(world.store_orders()) == 3 and Order.objects.filter(status="in_store").count() == 3
    assert failed.order_id in _pushed_events()


def test_a_push_another_worker_holds_is_skipped(world, monkeypatch):
    [(_name, pks)] = _decided(world, 2, monkeypatch)
    StorePush.objects.filter(pk=pks[0]).update(state="in_flight", attempts=1, lease_expires_at=timezone.now() + timedelta(minutes=5))
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert store_batch_run(pks) == {"done": 1, "not_claimed": 1}
    assert len(world.store_orders()) == 1


def test_a_batch_that_finds_its_stores_lane_taken_leaves_its_pushes_to_the_holder_which_drains_them(world, monkeypatch):
    """One task at a time pushes to a store (its request budget is no faster with more workers); a second batch for the
    same store frees its worker at once, and the lane's holder runs those pushes after its own."""
    from koongo.coordination import locks

    [(_name, pks)] = _decided(world, 3, monkeypatch)
    first, *others = pks
    kind = outbox.outbox_kind(StorePush._meta.label_lower)
    store = world.connection.store_connection_id
    with locks().lease(f"outbox-remote:{kind.label}:{store}", 60) as held:
        assert held is not None  # another worker pushes to this store
        assert store_batch_run(others) == {"remote_busy": 2}
    assert set(StorePush.objects.values_list("state", flat=True)) == {"pending"}
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert store_batch_run([first]) == {"done": 1}  # its own push, then the store's other due ones
    assert set(StorePush.objects.values_list("state", flat=True)) == {"done"}
    assert len(world.store_orders()) == 3
