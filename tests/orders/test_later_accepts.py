"""A transfer decided in several PATCHes: Miinto adds each later PATCH's accepted positions to the one order of the
transfer (miinto-api §11). Ours follows: while the merchant still has positions of the transfer to decide, the store
push waits (MANUAL_DECISION_GRACE_SECONDS) and later lines join it; once it has been tried the store order may exist,
and a Problem names the lines (a chaos run found them silently dropped)."""

from __future__ import annotations

from django.test import TestCase
from django.utils import timezone

from connections.models import Problem
from koongo.accounts.tenancy import merchant_scope
from orders.decisions import positions_decide
from orders.models import Order, Position, StorePush
from orders.pushes import LATE_POSITIONS
from tests.orders.conftest import GTIN_TEE_L, GTIN_TEE_M


def _decide(world, miinto_id: int, outcome: str = "accept") -> None:
    with merchant_scope(world.merchant), TestCase.captureOnCommitCallbacks(execute=False):
        positions_decide(merchant=world.merchant, positions=[Position.objects.get(miinto_id=miinto_id)], outcome=outcome, actor="owner")


def _run(world, model) -> None:
    from connections.sync.outbox import outbox_execute

    with merchant_scope(world.merchant):
        due = list(model.objects.filter(state__in=["pending", "failed"]).values_list("pk", flat=True))
    for pk in due:
        outbox_execute(model._meta.label_lower, pk)


def _offer_two(world) -> tuple[int, int]:
    world.offer((GTIN_TEE_M, 10000, 1), (GTIN_TEE_L, 10000, 1))
    world.sync(pushes=False)
    first, second = sorted(Position.objects.values_list("miinto_id", flat=True))
    return first, second


def _lines(store_order) -> dict:
    return {line["sku"]: int(line["quantity"]) for line in store_order["lines"]}


def test_a_later_accept_joins_the_store_push_held_while_the_merchant_decides(world, settings):
    settings.MANUAL_DECISION_GRACE_SECONDS = 120
    first, second = _offer_two(world)
    _decide(world, first)
    from orders.models import DecisionPush

    _run(world, DecisionPush)  # Miinto makes the order with the first position; its store push waits for the rest
    held = StorePush.objects.get()
    assert (held.next_attempt_at - timezone.now()).total_seconds() > 100
    _run(world, StorePush)
    assert world.store_orders() == []  # not due yet
    _decide(world, second)
    _run(world, DecisionPush)  # the second PATCH: Miinto adds the position to the same order
    order = Order.objects.get()
    assert sorted(order.lines.values_list("miinto_position_id", flat=True)) == [first, second]
    assert StorePush.objects.get().next_attempt_at <= timezone.now()  # the transfer is decided: no need to wait longer
    _run(world, StorePush)
    [store_order] = world.store_orders()
    assert _lines(store_order) == {"TEE-BLK-M": 1, "TEE-BLK-L": 1}
    assert not Problem.objects.filter(kind=LATE_POSITIONS).exists()


def test_a_later_accept_after_the_store_order_was_made_is_a_problem_naming_the_lines(world, settings):
    settings.MANUAL_DECISION_GRACE_SECONDS = 0  # the merchant came back after the grace
    first, second = _offer_two(world)
    _decide(world, first)
    from orders.models import DecisionPush

    _run(world, DecisionPush)
    _run(world, StorePush)
    assert len(world.store_orders()) == 1
    _decide(world, second)
    _run(world, DecisionPush)
    order = Order.objects.get()  # still one order, as on Miinto, now with both lines
    assert sorted(order.lines.values_list("miinto_position_id", flat=True)) == [first, second]
    assert _lines(world.store_orders()[0]) == {"TEE-BLK-M": 1}  # a store order is never edited after the fact
    [problem] = Problem.objects.filter(kind=LATE_POSITIONS, state="open")
    assert (problem.subject_type, problem.subject_id) == ("order", str(order.pk))
    assert f"1 × TEE-BLK-L (position {second})" in problem.message
    assert f"add them to store order {order.store_order_name}" in problem.message and order.store_order_name
    # A retry of the same push finds nothing new: no second Problem, no Miinto call.
    calls = len(world.miinto.requests)
    from orders.pushes import order_amend

    with merchant_scope(world.merchant):
        assert order_amend(world.connection, order, None, {}) == []
    assert len(world.miinto.requests) == calls and Problem.objects.filter(kind=LATE_POSITIONS).count() == 1


def test_a_later_accept_on_a_stock_only_connection_asks_to_lower_the_stock_by_hand(world, settings):
    settings.MANUAL_DECISION_GRACE_SECONDS = 0
    world.configure(sync_level="stock_only")
    first, second = _offer_two(world)
    _decide(world, first)
    from orders.models import DecisionPush

    _run(world, DecisionPush)
    _run(world, StorePush)
    assert world.shopify.stock_of("TEE-BLK-M") == 4
    _decide(world, second)
    _run(world, DecisionPush)
    [problem] = Problem.objects.filter(kind=LATE_POSITIONS, state="open")
    assert f"1 × TEE-BLK-L (position {second})" in problem.message and "lower their stock in the store by hand" in problem.message
    assert world.shopify.stock_of("TEE-BLK-L") == 1  # never lowered behind the merchant's back
