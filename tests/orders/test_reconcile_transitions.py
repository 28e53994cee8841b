"""Reconciliation after a lost answer goes through the position's state machine and keeps what we had decided."""

import pytest

from connections.models import IllegalTransition
from orders.decisions import positions_decide
from orders.models import Decision, DecisionPush, Order, Position
from tests.orders.conftest import DK_SHOP, GTIN_TEE_M


def test_miinto_overruling_our_unsent_accept_declines_the_position_and_keeps_our_decision(world):
    transfer_id = world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    [position] = Position.objects.all()
    positions_decide(merchant=world.merchant, positions=[position], outcome="accept", actor="user:owner@a.example")
    # Before our PATCH gets there, Miinto's back office declines it: our PATCH is answered 409 "already decided".
    world.miinto.state.decide_transfer(world.miinto.state.shops[DK_SHOP], transfer_id, [], [position.miinto_id], "miinto")
    assert world.run_due_pushes() == ["done"]

    position.refresh_from_db()
    decision = Decision.objects.get()
    assert (position.status, position.awaiting_store) == ("declined", False)
    assert (decision.outcome, decision.decided_by, decision.reason) == ("decline", "miinto", "decided_in_miinto")
    assert decision.inputs["overruled"] == {"outcome": "accept", "reason": "manual_accept", "decided_by": "merchant", "actor": "user:owner@a.example"}
    assert decision.sent_at is not None
    assert not Order.objects.exists() and DecisionPush.objects.get().state == "done"


def test_the_state_machine_refuses_an_overrule_of_a_confirmed_or_undecided_position(world):
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    [position] = Position.objects.all()
    with pytest.raises(IllegalTransition, match="cannot overrule a position from pending"):
        position.overrule("declined", Decision(sent_at=None))
    positions_decide(merchant=world.merchant, positions=[position], outcome="accept", actor="test")
    position.refresh_from_db()
    world.run_due_pushes()
    decision = Decision.objects.get()
    with pytest.raises(IllegalTransition, match="already confirmed by Miinto"):
        position.overrule("declined", decision)
    position.refresh_from_db()
    assert position.status == "accepted"
