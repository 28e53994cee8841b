"""A customer return that reaches us before its order (the chaos run's seed 3: the order's run had lost its worker).

An accepted one waits for the order and is refunded once when it arrives; one whose order does not come within the
wait goes to the merchant, and is never pushed after that, so a late order cannot bring a second refund.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.models import Problem
from koongo.accounts.tenancy import merchant_scope
from orders.models import Order
from rma.decisions import rma_decide
from rma.models import RefundPush, Rma
from rma.outbox import rma_rows_execute
from rma.refunds import refund_push_create
from tests.rma.conftest import GTIN_TEE_M


def _order_decided_in_miinto_only(world) -> tuple[int, int]:
    """A transfer we read as pending, then accepted in Miinto's back office: Miinto has the order, we do not yet.

    Returns Miinto's order id and the position's id."""
    transfer = world.miinto.state.create_transfer(world.connection.shop_id, [{"gtin": GTIN_TEE_M, "price": 10000, "quantity": 1}])
    world.run("orders")  # auto-accept is off: the transfer waits here for a decision
    [position] = transfer.positions
    world.control("POST", f"transfers/{transfer.id}/decide", {"accepted": [position.id]})
    assert not Order.objects.exists()
    return transfer.order_id, position.id


def _accepted_orphan(world) -> Rma:
    miinto_order_id, position_id = _order_decided_in_miinto_only(world)
    world.control("POST", "returns", {"shopId": world.connection.shop_id, "orderId": miinto_order_id,
                                      "positions": [{"orderPositionId": position_id, "quantity": 1}], "reason": "Too small"})
    world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.order_id, rma.miinto_order_id) == (None, miinto_order_id)
    rma_decide(merchant=world.merchant, rma=rma, outcome="accepted", reason="Received", actor="user:owner")
    rma_rows_execute(world.connection)
    rma.refresh_from_db()
    assert rma.status == "accepted"
    return rma


def test_an_accepted_return_waits_for_its_order_and_is_refunded_once_when_it_arrives(rma_world, owner_client):
    rma = _accepted_orphan(rma_world)
    assert RefundPush.objects.count() == 0 and not Problem.objects.filter(kind="rma_manual_refund").exists()
    page = owner_client.get(f"/rmas/{rma.pk}/").content.decode()
    assert 'data-refund="waits-for-order"' in page and "Enter this return in your store by hand" not in page

    rma_world.run("orders")  # the next orders run finds the transfer decided in Miinto and fetches its order
    order = Order.objects.get()
    assert order.store_order_id
    rma_world.sync_rmas()

    rma.refresh_from_db()
    assert rma.order_id == order.pk and rma.refund_by_hand_at is None
    [line] = rma.lines.select_related("order_line")
    assert line.order_line.sku == "TEE-BLK-M"
    [refund] = rma_world.store_refunds(order)
    assert refund["lines"] == [{"sku": "TEE-BLK-M", "quantity": 1}]
    assert RefundPush.objects.get().state == "done"
    assert not Problem.objects.filter(kind="rma_manual_refund").exists()
    rma_world.sync_rmas()
    rma_world.sync_refunds()
    assert len(rma_world.store_refunds(order)) == 1 and rma_world.effects("rmaRequests") == []


def test_a_return_whose_order_does_not_come_goes_to_the_merchant_and_a_late_order_brings_no_refund(rma_world, settings):
    rma = _accepted_orphan(rma_world)
    rma_world.sync_rmas()
    assert not Problem.objects.filter(kind="rma_manual_refund").exists()  # still inside the wait

    Rma.objects.filter(pk=rma.pk).update(first_seen_at=timezone.now() - timedelta(seconds=settings.RMA_ORDER_WAIT_SECONDS + 1))
    rma_world.sync_rmas()
    [problem] = Problem.objects.filter(kind="rma_manual_refund")
    assert "We have not received this Miinto order" in problem.message and f"Miinto RMA {rma.miinto_id}" in problem.message
    rma.refresh_from_db()
    assert rma.refund_by_hand_at is not None

    rma_world.run("orders")
    order = Order.objects.get()
    rma_world.sync_rmas()
    rma.refresh_from_db()
    assert rma.order_id == order.pk  # linked for the record
    assert RefundPush.objects.count() == 0 and rma_world.store_refunds(order) == []
    assert Problem.objects.filter(kind="rma_manual_refund").count() == 1
    with merchant_scope(rma_world.merchant), pytest.raises(ValidationError) as refused:
        refund_push_create(merchant=rma_world.merchant, rma=rma)
    assert refused.value.messages == ["This RMA's refund must be entered in the store by hand."]


def test_pushing_the_refund_of_a_return_still_waiting_for_its_order_says_so(rma_world):
    rma = _accepted_orphan(rma_world)
    with merchant_scope(rma_world.merchant), pytest.raises(ValidationError) as refused:
        refund_push_create(merchant=rma_world.merchant, rma=rma)
    assert refused.value.messages == ["This RMA's order has not reached us yet: its refund is pushed when it does."]
    assert RefundPush.objects.count() == 0 and not Problem.objects.exists()


def test_the_migration_marks_refunds_already_asked_for_by_hand(rma_world, settings):
    """Before this change an RMA without its order was handed to the merchant at once; it must never be pushed now."""
    from importlib import import_module

    from django.apps import apps

    settings.RMA_ORDER_WAIT_SECONDS = 0  # the old behaviour: asked by hand at acceptance
    rma = _accepted_orphan(rma_world)
    problem = Problem.objects.get(kind="rma_manual_refund")
    Rma.objects.filter(pk=rma.pk).update(refund_by_hand_at=None)
    import_module("rma.migrations.0005_rma_waits_for_its_order").mark_refunds_already_handed_over(apps, None)
    rma.refresh_from_db()
    assert rma.refund_by_hand_at == problem.created_at
    rma_world.run("orders")
    rma_world.sync_rmas()
    assert RefundPush.objects.count() == 0 and rma_world.store_refunds(Order.objects.get()) == []


def test_a_refund_waiting_for_its_store_order_is_due_as_soon_as_a_store_batch_records_the_order(rma_world):
    """Not after its backoff: a chaos run's refund was tried again 25 minutes after its order reached the store."""
    from orders.models import StorePush
    from orders.pushes import PushedOrders

    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    store_order_id, name = order.store_order_id, order.store_order_name
    Order.objects.filter(pk=order.pk).update(store_order_id="")  # as if its store push had not finished yet
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="Received", actor="user:owner")
    rma_rows_execute(rma_world.connection)
    push = RefundPush.objects.get()
    assert push.state == "failed" and "not in the store yet" in push.last_error and push.next_attempt_at > timezone.now()
    assert push.attempts == 0  # waiting for the order spends none of its attempts

    with merchant_scope(rma_world.merchant):
        made = PushedOrders()
        made.add(StorePush.objects.get(order=order), order, [], {"store_order_id": store_order_id, "name": name})
        made.write()
    push.refresh_from_db()
    assert push.next_attempt_at <= timezone.now()
    rma_rows_execute(rma_world.connection)
    assert RefundPush.objects.get().state == "done" and len(rma_world.store_refunds(order)) == 1
