"""Store refunds as adapters report them: without item detail (Shopware 5), with items that match no order line, on
orders that did not come from Miinto; and a decision Miinto refused, decided again."""

from datetime import UTC, datetime
from decimal import Decimal

from connections.models import Problem
from platforms.values import Money, RefundLine, StoreOrderRef
from platforms.values import StoreRefund as WireRefund
from rma.decisions import rma_decide
from rma.models import Rma, RmaDecisionPush, RmaRequestPush, StoreRefund
from rma.outbox import rma_rows_execute
from rma.store_refunds import store_refunds_record
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_M


def _refund(order, lines, *, refund_id="SW-1", item_level=True, total="100.00", origin_key=None):
    return WireRefund(
        refund_id=refund_id, order=StoreOrderRef(id=order.store_order_id), lines=tuple(lines), total=Money(amount=Decimal(total), currency="DKK"),
        created_at=datetime.now(UTC), item_level=item_level, origin_key=origin_key,
    )


def test_a_refund_without_item_detail_never_accepts_a_pending_rma_on_a_guess(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    counts = store_refunds_record(rma_world.connection, [_refund(order, [RefundLine(sku="TEE-BLK-M", quantity=1)], item_level=False)])
    assert counts["needs_attention"] == 1
    assert Rma.objects.get().status == "pending" and not RmaDecisionPush.objects.exists()
    assert "the store records no items for it" in Problem.objects.get(kind="rma_refund_mismatch").message


def test_a_refund_without_item_detail_and_no_pending_rma_is_requested_as_the_adapter_reports_it(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1), (GTIN_JEANS, 50000, 1))
    lines = [RefundLine(sku="TEE-BLK-M", quantity=1), RefundLine(sku="JEANS-32", quantity=1)]
    store_refunds_record(rma_world.connection, [_refund(order, lines, item_level=False, total="600.00")])
    rma_rows_execute(rma_world.connection)
    [request] = rma_world.effects("rmaRequests")
    assert sorted(p["quantity"] for p in request["positions"]) == [1, 1]
    assert StoreRefund.objects.get().item_level is False


def test_a_refund_of_items_not_on_the_order_goes_to_needs_attention(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    for refund_id, lines in (("X-1", [RefundLine(sku="NOT-OURS", quantity=1)]), ("X-2", [])):
        store_refunds_record(rma_world.connection, [_refund(order, lines, refund_id=refund_id)])
    assert sorted(StoreRefund.objects.values_list("status", flat=True)) == ["needs_attention", "needs_attention"]
    assert RmaRequestPush.objects.count() == 0
    assert Problem.objects.filter(kind="rma_refund_mismatch").count() == 2


def test_refunds_on_orders_that_are_not_this_connections_are_skipped_and_known_ones_cost_nothing(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    other = _refund(order, [RefundLine(sku="TEE-BLK-M", quantity=1)], refund_id="O-1").model_copy(
        update={"order": StoreOrderRef(id="not-a-miinto-order")}
    )
    ours = _refund(order, [RefundLine(sku="TEE-BLK-M", quantity=1)], refund_id="O-2", origin_key="rma-9-9")
    assert store_refunds_record(rma_world.connection, [other, ours])["skipped"] == 1
    assert list(StoreRefund.objects.values_list("store_refund_id", "origin", "status")) == [("O-2", "ours", "recorded")]
    assert store_refunds_record(rma_world.connection, [ours])["recorded"] == 0
    assert RmaRequestPush.objects.count() == 0


def test_a_decision_miinto_refused_can_be_made_again(rma_world, owner_client):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    rma_world.miinto.faults = type(rma_world.miinto.faults)(fail_next=1, fail_status=422)
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="declined", reason="Worn", actor="a")
    rma_rows_execute(rma_world.connection)
    push = RmaDecisionPush.objects.get()
    assert push.state == "dead" and Problem.objects.filter(kind="outbox_dead").count() == 1
    page = owner_client.get(f"/rmas/{rma.pk}/").content.decode()
    assert 'id="decline-form"' in page and "(dead)" in page
    rma_decide(merchant=rma_world.merchant, rma=rma, outcome="declined", reason="Worn and washed", actor="b")
    rma_rows_execute(rma_world.connection)
    rma.refresh_from_db()
    assert (rma.status, rma.decision_reason, rma.actor) == ("declined", "Worn and washed", "b")
    assert [d["reason"] for d in rma_world.effects("returnDecisions")] == ["Worn and washed"]


def test_a_refund_webhook_for_a_store_out_of_refund_scope_runs_nothing(rma_world, client):
    from connections.models import StoreConnection, SyncRun
    from koongo.accounts.models import Plan
    from koongo.accounts.tenancy import merchant_scope

    StoreConnection.objects.filter(pk=rma_world.connection.store_connection_id).update(shop_url=rma_world.store.shop().domain)
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.merchant.plan = Plan.objects.get(code="starter")
    rma_world.merchant.save()
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    delivery = next(d for d in reversed(rma_world.store.webhook_deliveries()) if d["kind"] == "refund_created")
    response = client.post("/webhooks/shopify/", data=delivery["body"], content_type="application/json", headers=delivery["headers"])
    assert response.status_code == 200
    with merchant_scope(rma_world.merchant):
        assert not SyncRun.objects.filter(flow="refunds").exists()


def test_rma_pages_carry_no_inline_script_or_style(rma_world, owner_client):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    urls = ["/rmas/", f"/rmas/{rma.pk}/", "/rmas/needs-attention/", f"/rmas/settings/{rma_world.connection.pk}/",
            f"/orders/{order.transfer_id}/?tab=rma", f"/orders/{order.transfer_id}/?tab=refunds", "/"]
    for url in urls:
        response = owner_client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>" not in html and "style=" not in html and "hx-on" not in html, url
