"""No loops, and never a double refund: the database refuses what PRODUCT.md forbids, and the services refuse it first."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from rma.decisions import rma_decide
from rma.models import RefundPush, Rma, RmaRequestPush, StoreRefund
from rma.outbox import rma_rows_execute
from rma.refunds import refund_push_create
from tests.rma.conftest import GTIN_TEE_M


def _rma(world, order, *, origin="customer", status="pending", decided_by="", miinto_id=1):
    return Rma.objects.create(
        merchant=world.merchant, connection=world.connection, order=order, miinto_id=miinto_id, miinto_order_id=order.miinto_id,
        origin=origin, status=status, decided_by=decided_by, currency="DKK", amount=Decimal("100.00"),
    )


def _store_refund(world, order, *, origin="store", refund_id="R-1", request_key="rk-1", origin_key=""):
    return StoreRefund.objects.create(
        merchant=world.merchant, connection=world.connection, store_connection=world.connection.store_connection, order=order,
        store_refund_id=refund_id, store_order_id=order.store_order_id, origin=origin, origin_key=origin_key, total=Decimal("100"),
        currency="DKK", created_at_store=datetime.now(UTC), status="new" if origin == "store" else "recorded",
        request_key=request_key,
    )


def _refund_push(world, rma, key="k-1"):
    return RefundPush.objects.create(merchant=world.merchant, connection=world.connection, rma=rma, order=rma.order, idempotency_key=key)


def _refused(make):
    """The write fails inside its savepoint; foreign keys are checked at once, not deferred to the test's end."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()
        connection.check_constraints()


@pytest.fixture
def order(rma_world):
    return rma_world.sell((GTIN_TEE_M, 10000, 1))


@pytest.mark.parametrize(
    ("origin", "decided_by"), [("customer", "store_refund"), ("merchant", "merchant"), ("merchant", "miinto"), ("merchant", "store_refund")]
)
def test_the_database_refuses_a_refund_key_on_an_rma_we_must_not_refund(rma_world, order, origin, decided_by):
    rma = _rma(rma_world, order, origin=origin, status="accepted", decided_by=decided_by)
    _refused(lambda: Rma.objects.filter(pk=rma.pk).update(refund_key="rma-x"))
    assert Rma.objects.get(pk=rma.pk).refund_key is None


def test_the_database_refuses_a_refund_push_for_a_pending_or_declined_rma(rma_world, order):
    pending = _rma(rma_world, order)
    declined = _rma(rma_world, order, status="declined", decided_by="merchant", miinto_id=2)
    for rma in (pending, declined):
        _refused(lambda rma=rma: Rma.objects.filter(pk=rma.pk).update(refund_key=f"rma-{rma.pk}"))
        _refused(lambda rma=rma: _refund_push(rma_world, rma, key=f"k-{rma.pk}"))
    assert RefundPush.objects.count() == 0


def test_the_database_allows_one_refund_push_per_customer_rma_the_merchant_accepted(rma_world, order):
    for decided_by, miinto_id in (("merchant", 1), ("miinto", 2)):
        rma = _rma(rma_world, order, status="accepted", decided_by=decided_by, miinto_id=miinto_id)
        Rma.objects.filter(pk=rma.pk).update(refund_key=f"rma-{miinto_id}")
        rma.refresh_from_db()
        _refund_push(rma_world, rma, key=f"k-{miinto_id}")
        _refused(lambda rma=rma, miinto_id=miinto_id: _refund_push(rma_world, rma, key=f"k-again-{miinto_id}"))
    assert RefundPush.objects.count() == 2


def test_the_service_refuses_a_refund_push_for_an_rma_a_store_refund_accepted_or_we_requested(rma_world, order):
    by_refund = _rma(rma_world, order, status="accepted", decided_by="store_refund")
    ours = _rma(rma_world, order, origin="merchant", status="accepted", decided_by="store_refund", miinto_id=2)
    for rma in (by_refund, ours):
        with pytest.raises(ValidationError) as refused:
            refund_push_create(merchant=rma_world.merchant, rma=rma)
        assert "only for a customer RMA accepted by the merchant" in refused.value.messages[0]
    assert RefundPush.objects.count() == 0


def test_the_service_refuses_a_second_refund_push(rma_world, order):
    rma = _rma(rma_world, order, status="accepted", decided_by="merchant")
    refund_push_create(merchant=rma_world.merchant, rma=rma)
    with pytest.raises(ValidationError) as refused:
        refund_push_create(merchant=rma_world.merchant, rma=rma)
    assert refused.value.messages == ["This RMA's refund has already been pushed to the store."]
    assert RefundPush.objects.count() == 1


def test_the_database_refuses_a_request_key_on_our_own_refund_and_requires_our_key(rma_world, order):
    _refused(lambda: _store_refund(rma_world, order, origin="ours", origin_key="rma-1-1", request_key="rk-ours"))
    _refused(lambda: _store_refund(rma_world, order, origin="ours", origin_key="", request_key=None))
    _refused(lambda: _store_refund(rma_world, order, origin="store", request_key=None))
    ours = _store_refund(rma_world, order, origin="ours", origin_key="rma-1-1", request_key=None, refund_id="R-ours")
    # A request can only point at a request key, which our refund cannot have: no echo.
    _refused(lambda: RmaRequestPush.objects.create(
        merchant=rma_world.merchant, connection=rma_world.connection, order=order, store_refund_id=ours.store_refund_id,
        idempotency_key="echo",
    ))
    assert RmaRequestPush.objects.count() == 0


def test_the_database_allows_one_request_per_store_refund(rma_world, order):
    refund = _store_refund(rma_world, order)
    RmaRequestPush.objects.create(merchant=rma_world.merchant, connection=rma_world.connection, order=order, store_refund=refund, idempotency_key="q-1")
    _refused(lambda: RmaRequestPush.objects.create(
        merchant=rma_world.merchant, connection=rma_world.connection, order=order, store_refund=refund, idempotency_key="q-2"
    ))
    _refused(lambda: _store_refund(rma_world, order, request_key="rk-2"))  # the same store refund id twice
    assert RmaRequestPush.objects.count() == 1


def test_an_rma_is_decided_once(rma_world, order):
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="accepted", reason="ok", actor="a")
    with pytest.raises(ValidationError) as refused:
        rma_decide(merchant=rma_world.merchant, rma=rma, outcome="declined", reason="no", actor="b")
    assert refused.value.message_dict == {"status": ["A decision on this RMA is already on its way to Miinto."]}
    rma_rows_execute(rma_world.connection)
    with pytest.raises(ValidationError) as refused:
        rma_decide(merchant=rma_world.merchant, rma=rma, outcome="declined", reason="no", actor="b")
    assert refused.value.message_dict == {"status": [f"RMA {rma.miinto_id} is already accepted; an RMA is decided once."]}
    _refused(lambda: Rma.objects.filter(pk=rma.pk).update(decided_by=""))
    assert len(rma_world.effects("returnDecisions")) == 1


def test_scenario_1_then_scenario_2_on_one_order_never_refunds_twice(rma_world, order):
    """A refund in the store, its request, the RMA Miinto made: nothing goes back to the store, however often we sync."""
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    for _ in range(3):
        rma_world.sync_refunds()
        rma_world.sync_rmas()
    assert len(rma_world.store_refunds(order)) == 1
    assert len(rma_world.effects("rmaRequests")) == 1
    assert RefundPush.objects.count() == 0
