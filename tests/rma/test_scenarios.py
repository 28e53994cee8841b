"""The seed's three RMA scenarios end to end against the Miinto and store simulators."""

from decimal import Decimal

from rma.decisions import rma_decide
from rma.models import RefundPush, Rma, RmaRequestPush, StoreRefund
from rma.outbox import rma_rows_execute
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_L, GTIN_TEE_M


def _accept(world, rma, reason="Goods received in good condition"):
    rma_decide(merchant=world.merchant, rma=rma, outcome="accepted", reason=reason, actor="user:owner")
    rma_rows_execute(world.connection)
    rma.refresh_from_db()
    return rma


# --- scenario 1: goods returned without an RMA; the merchant refunds in the store --------------------------------


def test_a_store_refund_becomes_exactly_one_rma_request_with_its_lines(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 2), (GTIN_JEANS, 50000, 1))
    positions = {line.sku: line.miinto_position_id for line in order.lines.all()}
    refund_id = rma_world.refund_in_store(order, {"TEE-BLK-M": 1, "JEANS-32": 1})
    run = rma_world.sync_refunds()
    assert (run.status, run.seen) == ("succeeded", 1)
    [request] = rma_world.effects("rmaRequests")
    assert sorted((p["orderPositionId"], p["quantity"]) for p in request["positions"]) == sorted(
        [(positions["TEE-BLK-M"], 1), (positions["JEANS-32"], 1)]
    )
    assert (request["orderId"], request["origin"], request["status"]) == (order.miinto_id, "merchant", "accepted")
    store_refund = StoreRefund.objects.get()
    assert (store_refund.store_refund_id, store_refund.origin, store_refund.status) == (refund_id, "store", "requested")
    push = RmaRequestPush.objects.get()
    assert (push.state, push.rma.miinto_id, push.rma.origin, push.rma.decided_by) == ("done", request["id"], "merchant", "store_refund")
    assert store_refund.rma_id == push.rma_id
    assert rma_world.effects("buyerEmails")[-1]["subject"] == "Your return has been accepted"


def test_the_rma_our_request_produced_pushes_no_refund_and_a_second_sync_requests_nothing(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    rma_world.sync_rmas()  # imports the RMA Miinto made from our request
    rma_world.sync_refunds()
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.origin, rma.status, rma.decided_by) == ("merchant", "accepted", "store_refund")
    assert RefundPush.objects.count() == 0
    assert len(rma_world.store_refunds(order)) == 1
    assert len(rma_world.effects("rmaRequests")) == 1
    assert RmaRequestPush.objects.count() == 1


def test_miinto_answering_405_hands_the_request_to_the_merchant_and_nothing_is_retried(rma_world):
    from connections.models import Problem

    order = rma_world.sell((GTIN_TEE_M, 10000, 2))
    rma_world.control("POST", "settings", {"rmaRequestsSupported": False})
    rma_world.refund_in_store(order, {"TEE-BLK-M": 2})
    rma_world.sync_refunds()
    push = RmaRequestPush.objects.get()
    assert (push.state, push.result, push.attempts) == ("done", {"unsupported_status": 405}, 1)
    store_refund = StoreRefund.objects.get()
    assert store_refund.status == "manual"
    [problem] = Problem.objects.filter(kind="rma_back_office")
    position = order.lines.get().miinto_position_id
    assert problem.message == (
        f"Create this RMA in the Miinto back office: Miinto order {order.miinto_id}, 2 × TEE-BLK-M (position {position}) 200.00, "
        "total DKK200.00. Miinto answered 405 to the RMA request, so it is not retried."
    )
    assert problem.subject_id == str(store_refund.pk)
    posts = [r for r in rma_world.returns_calls() if r["method"] == "POST"]
    rma_world.sync_refunds()
    rma_world.sync_rmas()
    assert [r for r in rma_world.returns_calls() if r["method"] == "POST"] == posts == posts[:1]
    assert rma_world.effects("rmaRequests") == []


def test_the_rma_created_by_hand_in_the_back_office_closes_the_item(rma_world):
    from connections.models import Problem

    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.control("POST", "settings", {"rmaRequestsSupported": False})
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    # The merchant creates it in Miinto's back office, which the simulator models as a merchant-made return.
    rma_world.miinto.state.create_return(
        rma_world.miinto.state.shops[rma_world.connection.shop_id], order.miinto_id,
        [{"orderPositionId": order.lines.get().miinto_position_id, "quantity": 1}], origin="merchant",
    )
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.origin, rma.decided_by) == ("merchant", "store_refund")
    assert StoreRefund.objects.get().status == "done"
    assert Problem.objects.get(kind="rma_back_office").state == "handled"
    assert RefundPush.objects.count() == 0


def test_our_own_pushed_refund_never_yields_a_request(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    _accept(rma_world, Rma.objects.get())
    assert len(rma_world.store_refunds(order)) == 1
    run = rma_world.sync_refunds()
    assert run.seen == 1
    assert rma_world.effects("rmaRequests") == [] and RmaRequestPush.objects.count() == 0
    ours = StoreRefund.objects.get()
    assert (ours.origin, ours.status, ours.request_key) == ("ours", "recorded", None)
    assert ours.origin_key == RefundPush.objects.get().idempotency_key


# --- scenario 2: the buyer opens an RMA and the merchant accepts -------------------------------------------------


def test_a_customer_rma_accepted_in_the_dashboard_is_refunded_in_the_store_once(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 9700, 2), (GTIN_TEE_L, 10000, 1))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 2}, reason="Too small", comment="Runs small")
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.miinto_id, rma.status, rma.origin, rma.amount, rma.reason, rma.customer_comment) == (
        return_id, "pending", "customer", Decimal("194.00"), "Too small", "Runs small"
    )
    rma = _accept(rma_world, rma, "Received, unworn")
    assert (rma.status, rma.decided_by, rma.decision_reason, rma.actor) == ("accepted", "merchant", "Received, unworn", "user:owner")
    assert rma_world.effects("returnDecisions") == [
        {"shopId": rma_world.connection.shop_id, "returnId": return_id, "status": "accepted", "reason": "Received, unworn"}
    ]
    assert rma_world.effects("buyerEmails")[-1]["subject"] == "Your return has been accepted"
    [refund] = rma_world.store_refunds(order)
    assert refund["lines"] == [{"sku": "TEE-BLK-M", "quantity": 2}]
    [record] = rma_world.store_refund_records(order)
    assert (record.total.amount, record.total.currency) == (Decimal("194.00"), "DKK")
    assert RefundPush.objects.get().state == "done"
    rma_world.sync_rmas()
    rma_world.sync_refunds()
    assert len(rma_world.store_refunds(order)) == 1 and rma_world.effects("rmaRequests") == []


def test_an_rma_accepted_in_miinto_is_refunded_in_the_store_once(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma_world.decide_in_miinto(return_id, "accepted", "Accepted at the warehouse")
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.status, rma.decided_by, rma.decision_reason) == ("accepted", "miinto", "Accepted at the warehouse")
    assert rma_world.effects("returnDecisions") == []  # we sent nothing: Miinto decided
    [record] = rma_world.store_refund_records(order)
    assert record.total.amount == Decimal("100.00")
    rma_world.sync_rmas()
    rma_world.sync_refunds()
    assert len(rma_world.store_refunds(order)) == 1 and RefundPush.objects.count() == 1


def test_an_rma_first_seen_already_accepted_in_miinto_is_refunded_too(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(return_id, "accepted", "ok")
    rma_world.sync_rmas()
    assert Rma.objects.get().decided_by == "miinto"
    assert len(rma_world.store_refunds(order)) == 1


def test_a_store_refund_with_the_same_items_as_a_pending_rma_accepts_it_and_requests_nothing(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 2), (GTIN_JEANS, 50000, 1))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 1, "JEANS-32": 1})
    rma_world.sync_rmas()
    rma_world.refund_in_store(order, {"JEANS-32": 1, "TEE-BLK-M": 1})
    rma_world.sync_refunds()
    rma = Rma.objects.get()
    assert (rma.status, rma.decided_by) == ("accepted", "store_refund")
    assert rma_world.effects("rmaRequests") == []
    assert [(d["returnId"], d["status"]) for d in rma_world.effects("returnDecisions")] == [(return_id, "accepted")]
    assert RefundPush.objects.count() == 0
    assert len(rma_world.store_refunds(order)) == 1  # only the merchant's own
    store_refund = StoreRefund.objects.get()
    assert (store_refund.status, store_refund.rma_id) == ("accepted_rma", rma.pk)


def test_a_partial_match_goes_to_needs_attention_and_nothing_is_guessed(rma_world):
    from connections.models import Problem

    order = rma_world.sell((GTIN_TEE_M, 10000, 2), (GTIN_JEANS, 50000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1, "JEANS-32": 1})
    rma_world.sync_rmas()
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    assert Rma.objects.get().status == "pending"
    assert StoreRefund.objects.get().status == "needs_attention"
    [problem] = Problem.objects.filter(kind="rma_refund_mismatch")
    assert "shares items with pending RMA" in problem.message and "1 × TEE-BLK-M" in problem.message
    assert rma_world.effects("rmaRequests") == [] and rma_world.effects("returnDecisions") == []


# --- scenario 3: the merchant declines ---------------------------------------------------------------------------


def test_declining_with_a_reason_reaches_miinto_and_changes_nothing_in_the_store(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="declined", reason="Worn and washed", actor="user:owner")
    rma_rows_execute(rma_world.connection)
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by, rma.decision_reason) == ("declined", "merchant", "Worn and washed")
    assert rma_world.effects("returnDecisions") == [
        {"shopId": rma_world.connection.shop_id, "returnId": return_id, "status": "declined", "reason": "Worn and washed"}
    ]
    assert rma_world.effects("buyerEmails")[-1]["subject"] == "Your return has been declined"
    assert rma_world.store_refunds(order) == [] and RefundPush.objects.count() == 0


def test_a_decline_made_in_miinto_is_recorded_with_its_reason(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma_world.decide_in_miinto(return_id, "declined", "Not our item")
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.status, rma.decided_by, rma.decision_reason) == ("declined", "miinto", "Not our item")
    assert rma_world.store_refunds(order) == []


def test_a_decline_without_a_reason_is_refused_and_nothing_is_sent(rma_world):
    import pytest
    from django.core.exceptions import ValidationError

    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    with pytest.raises(ValidationError) as refused:
        rma_decide(merchant=rma_world.merchant, rma=rma, outcome="declined", reason="  ", actor="user:owner")
    assert refused.value.message_dict == {"reason": ["A reason is required to accept or decline an RMA."]}
    rma.refresh_from_db()
    assert rma.status == "pending" and not hasattr(rma, "decision_push")
    assert rma_world.effects("returnDecisions") == []
