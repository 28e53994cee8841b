"""Faults: store timeouts, lost Miinto answers, 409 on a decided return, a killed worker, and a noisy simulator."""

from datetime import timedelta

from django.utils import timezone

from connections.sync.outbox import outbox_execute
from koongo.sandbox_kit import Faults
from rma.decisions import rma_decide
from rma.models import RefundPush, Rma, RmaDecisionPush, RmaRequestPush, StoreRefund
from rma.outbox import rma_rows_execute
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_L, GTIN_TEE_M


def _make_due():
    """Time passes: every failed row is due again."""
    for model in (RmaDecisionPush, RefundPush, RmaRequestPush):
        model.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def _pending_rma(world, order, quantities):
    world.customer_return(order, quantities)
    world.sync_rmas()
    return Rma.objects.get(miinto_id=max(r.id for r in world.miinto.state.returns.values()))


def test_a_store_timeout_after_the_refund_was_made_leaves_exactly_one_refund(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})
    rma_world.store_transport.match = lambda request: rma_world.store.operation_of(request) == "refund_create"
    rma_world.store_transport.timeout_after = 1
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="ok", actor="a")
    rma_rows_execute(rma_world.connection)
    _make_due()
    rma_rows_execute(rma_world.connection)
    assert rma_world.store_transport.timeout_after == 0
    assert len(rma_world.store_refunds(order)) == 1
    assert RefundPush.objects.get().state == "done"
    assert StoreRefund.objects.get().origin == "ours"


def test_a_lost_decision_answer_is_reconciled_without_a_second_decision(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})
    rma_world.miinto_transport.match = lambda request: request.method == "PATCH"
    rma_world.miinto_transport.timeout_after = 1
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="Received", actor="a")
    rma_rows_execute(rma_world.connection)
    assert RmaDecisionPush.objects.get().state == "failed"
    _make_due()
    rma_rows_execute(rma_world.connection)
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by, rma.decision_reason) == ("accepted", "merchant", "Received")
    assert len(rma_world.effects("returnDecisions")) == 1
    assert len(rma_world.store_refunds(order)) == 1


def test_a_409_on_a_return_declined_in_miinto_meanwhile_keeps_miintos_decision(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(rma.miinto_id, "declined", "Declined at the warehouse")
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="Looks fine", actor="a")
    rma_rows_execute(rma_world.connection)
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by, rma.decision_reason) == ("declined", "miinto", "Declined at the warehouse")
    assert RmaDecisionPush.objects.get().state == "done"
    assert rma_world.effects("returnDecisions") == [] and rma_world.store_refunds(order) == []
    assert RefundPush.objects.count() == 0


def test_a_409_on_a_return_accepted_in_miinto_meanwhile_is_refunded_once(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(rma.miinto_id, "accepted", "Accepted in Miinto")
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="Accepted here", actor="a")
    rma_rows_execute(rma_world.connection)
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by) == ("accepted", "merchant")
    assert len(rma_world.store_refunds(order)) == 1


def test_a_store_refund_whose_rma_miinto_declined_meanwhile_goes_to_needs_attention(rma_world):
    from connections.models import Problem

    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(rma.miinto_id, "declined", "Not received")
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by) == ("declined", "miinto")
    assert StoreRefund.objects.get().status == "needs_attention"
    assert "Miinto shows that RMA declined" in Problem.objects.get(kind="rma_refund_mismatch").message
    assert rma_world.effects("rmaRequests") == [] and RefundPush.objects.count() == 0


def test_a_lost_rma_request_answer_finds_the_rma_it_made_instead_of_making_another(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 2))
    rma_world.miinto_transport.match = lambda request: request.method == "POST" and request.url.path.endswith("/returns")
    rma_world.miinto_transport.timeout_after = 1
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    assert RmaRequestPush.objects.get().state == "failed"
    _make_due()
    rma_world.sync_refunds()
    push = RmaRequestPush.objects.get()
    assert (push.state, push.rma.origin) == ("done", "merchant")
    assert len(rma_world.effects("rmaRequests")) == 1 and Rma.objects.count() == 1


def test_a_killed_workers_refund_push_is_finished_by_the_next_worker(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(rma.miinto_id, "accepted", "ok")
    rma_world.sync_rmas()
    push = RefundPush.objects.get()
    assert push.state == "done"
    # Rewind it to a claim whose worker died: in flight, lease run out. The next worker finds our refund by its key.
    RefundPush.objects.filter(pk=push.pk).update(state="in_flight", attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert outbox_execute(push._meta.label_lower, push.pk) == "done"
    assert len(rma_world.store_refunds(order)) == 1


def test_everything_converges_under_twenty_percent_faults(rma_world):
    orders = [rma_world.sell((GTIN_TEE_M, 10000, 1), (GTIN_TEE_L, 10000, 1), (GTIN_JEANS, 50000, 1)) for _ in range(3)]
    accepted = [_pending_rma(rma_world, o, {"TEE-BLK-M": 1}) for o in orders]
    declined = _pending_rma(rma_world, orders[0], {"JEANS-32": 1})
    in_miinto = [rma_world.customer_return(o, {"TEE-BLK-L": 1}) for o in orders[1:]]
    for order in orders[:2]:
        rma_world.refund_in_store(order, {"JEANS-32": 1} if order is orders[1] else {"TEE-BLK-L": 1})
    for rma in accepted:
        rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="ok", actor="a")
    rma_decide(merchant=rma_world.merchant, rma=declined, outcome="declined", reason="worn", actor="a")
    for return_id in in_miinto:
        rma_world.decide_in_miinto(return_id, "accepted", "ok")
    noisy = {"error_rate": 0.1, "rate_limit_rate": 0.05, "retry_after": 0, "malformed_rate": 0.05}
    rma_world.miinto.faults = Faults(seed=21, **noisy)
    rma_world.store.faults = Faults(seed=22, error_rate=0.1, rate_limit_rate=0.1, retry_after=0)
    for _ in range(30):
        for flow in ("rma", "refunds"):
            try:
                rma_world.run(flow)
            except Exception:  # a run may fail as a whole; the next one resumes from its watermark
                pass
        _make_due()
        rows = (RmaDecisionPush, RefundPush, RmaRequestPush)
        if not any(model.objects.exclude(state="done").exists() for model in rows) and not Rma.objects.filter(status="pending").exists():
            break
    rma_world.miinto.faults = Faults()
    rma_world.store.faults = Faults()
    assert Rma.objects.filter(status="pending").count() == 0
    assert Rma.objects.filter(origin="customer").count() == 6
    # Three accepted here and two in Miinto: five store refunds of ours, each once.
    assert RefundPush.objects.filter(state="done").count() == 5
    per_order = {o.pk: len(rma_world.store_refunds(o)) for o in orders}
    assert per_order == {orders[0].pk: 1 + 1, orders[1].pk: 1 + 1 + 1, orders[2].pk: 1 + 1}
    # Two store refunds, neither matching a pending RMA: two requests, each once.
    assert len(rma_world.effects("rmaRequests")) == 2 and RmaRequestPush.objects.filter(state="done").count() == 2
    decisions = [(d["returnId"], d["status"]) for d in rma_world.effects("returnDecisions")]
    assert sorted(decisions) == sorted([(r.miinto_id, "accepted") for r in accepted] + [(declined.miinto_id, "declined")])


def test_our_refund_found_by_the_refunds_flow_before_we_recorded_it_is_still_ours(rma_world, monkeypatch):
    """A worker stops after the store made our refund and before it recorded it: the flow sees our key, not a store refund."""
    from rma import refunds

    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma = _pending_rma(rma_world, order, {"TEE-BLK-M": 1})

    def stopped(*args, **kwargs):
        raise RuntimeError("worker stopped")

    monkeypatch.setattr(refunds, "_record_ours", stopped)
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="ok", actor="a")
    rma_rows_execute(rma_world.connection)
    assert RefundPush.objects.get().state == "failed" and StoreRefund.objects.count() == 0
    rma_world.sync_refunds()
    found = StoreRefund.objects.get()
    assert (found.origin, found.status, found.rma_id) == ("ours", "recorded", rma.pk)
    monkeypatch.undo()
    _make_due()
    rma_rows_execute(rma_world.connection)
    assert RefundPush.objects.get().state == "done" and StoreRefund.objects.count() == 1
    assert len(rma_world.store_refunds(order)) == 1 and rma_world.effects("rmaRequests") == []
