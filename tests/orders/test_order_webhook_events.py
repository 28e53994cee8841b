"""The order engine emits its webhook events in the same transaction as the change: decided, pushed, push failed."""

import pytest
from django_scopes import scopes_disabled

from orders.models import Order, Position
from tests.orders.conftest import GTIN_JEANS, GTIN_TEE_M
from webhooks import services as webhook_services
from webhooks.event_types import EVENT_TYPES, ORDER_PUSH_FAILED, ORDER_PUSHED, POSITION_DECIDED, PROBLEM_OPENED
from webhooks.models import WebhookDelivery


@pytest.fixture
def endpoint(world):
    endpoint, _ = webhook_services.endpoint_create(merchant=world.merchant, url="http://127.0.0.1:9/hooks", event_types=list(EVENT_TYPES))
    return endpoint


def _events(event_type):
    with scopes_disabled():
        return [d.payload["data"] for d in WebhookDelivery.objects.filter(event_type=event_type).order_by("pk")]


def test_auto_decisions_and_the_store_push_are_announced(world, endpoint):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 9700, 1))
    world.offer((GTIN_JEANS, 50000, 1))  # out of stock: declined
    world.sync()
    decided = _events(POSITION_DECIDED)
    assert sorted(d["outcome"] for d in decided) == ["accepted", "declined"]
    positions = {p.pk: p for p in Position.objects.all()}
    for data in decided:
        assert data["decided_by"] == "rule" and data["connection_id"] == world.connection.pk
        assert data["miinto_position_id"] == str(positions[data["position_id"]].miinto_id)
    order = Order.objects.get()
    [pushed] = _events(ORDER_PUSHED)
    assert pushed == {"connection_id": world.connection.pk, "order_id": order.pk, "miinto_order_id": str(order.miinto_id),
                      "store_order_id": order.store_order_id}
    with scopes_disabled():
        keys = set(WebhookDelivery.objects.filter(event_type=ORDER_PUSHED).values_list("object_key", flat=True))
    assert keys == {f"order:{order.pk}"}


def test_a_store_push_that_dies_is_announced_as_push_failed(world, endpoint):
    from orders.decisions import positions_decide

    world.configure(sync_level="stock_only")
    world.offer((GTIN_TEE_M, 10000, 1), ("5709999000059", 10000, 2))  # the second matches no store product
    world.sync()
    positions_decide(merchant=world.merchant, positions=list(Position.objects.all()), outcome="accept", actor="owner@a.example")
    assert {d["decided_by"] for d in _events(POSITION_DECIDED)} == {"merchant"}
    world.run_due_pushes()
    order = Order.objects.get()
    [failed] = _events(ORDER_PUSH_FAILED)
    assert failed["order_id"] == order.pk and "match no store product" in failed["error"]
    assert any(p["kind"] == "outbox_dead" for p in _events(PROBLEM_OPENED))
    assert _events(ORDER_PUSHED) == []
