"""Seed one divergence of every kind through the simulators and their fault switches: the report finds exactly them,
and the fixes it offers (through the existing outbox) close them, so the next run finds none.
"""

from __future__ import annotations

from connections.models import SyncRun
from connections.sync.runs import sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from orders.models import Order, StorePush
from orders.shipments.models import ShipmentPush
from reconciliation.kinds import FindingKind, Fix
from reconciliation.models import Finding
from reconciliation.services import finding_fix
from rma.models import RefundPush, RmaRequestPush
from rma.services import rma_settings_update
from tests.reconciliation.conftest import execute_due, list_in_feed, reconcile, timeouts
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_L, GTIN_TEE_M


def _found(run) -> set[tuple[str, str, str]]:
    with merchant_scope(run.merchant):
        return {(f.kind, str(f.miinto_order_id or f.store_ref), f.fix) for f in Finding.objects.filter(run=run)}


def _fix_all(world, run, kinds=None) -> int:
    fixed = 0
    with merchant_scope(world.merchant):
        for finding in Finding.objects.filter(run=run).exclude(fix="").select_related("connection", "rma", "merchant"):
            if kinds is None or finding.kind in kinds:
                finding_fix(finding=finding, by="user:owner")
                fixed += 1
    return fixed


def _run_queued(world, flow: str) -> None:
    with merchant_scope(world.merchant):
        for run in SyncRun.objects.filter(connection=world.connection, flow=flow, status="queued"):
            sync_run_execute(run)


def _miinto_position(world, order):
    return world.miinto.state.orders[order.miinto_id].positions[0]


def test_every_seeded_divergence_is_found_once_and_the_offered_fixes_close_them(world):
    with merchant_scope(world.merchant):
        rma_settings_update(connection=world.connection, restock_refunds=False)
    shipped = world.sell((GTIN_TEE_L, 10000, 1))
    refunded = world.sell((GTIN_JEANS, 50000, 1))
    returned = world.sell((GTIN_TEE_M, 10000, 1))
    declined = world.sell((GTIN_TEE_L, 10000, 1))
    miscounted = world.sell((GTIN_TEE_M, 10000, 2))
    repriced = world.sell((GTIN_TEE_L, 10000, 1))
    list_in_feed(world)
    world.run("catalog")
    world.run("stock")
    clean = reconcile(world)
    assert (clean.status, clean.findings_total, clean.counts, clean.is_clean) == ("done", 0, {}, True)

    # Accepted on Miinto, no store order: every orderCreate times out, so the store push waits to retry.
    timeouts(world.store_transport, 10, lambda r: b"orderCreate" in r.content)
    world.miinto.state.create_transfer(world.connection.shop_id, [{"gtin": GTIN_TEE_M, "price": 10000, "quantity": 1}])
    world.run("orders")
    with merchant_scope(world.merchant):
        unpushed = Order.objects.order_by("-pk").first()
    assert unpushed.store_order_id == "" and StorePush.objects.get(order=unpushed).state == "failed"
    # Shipped in the store, not on Miinto: the shipment POST times out.
    world.store.make_shipment(
        shipped.store_order_id, [{"sku": "TEE-BLK-L", "quantity": 1}], carrier="General Logistics Systems", tracking_number="GLS-1"
    )
    timeouts(world.miinto_transport, 10, lambda r: r.method == "POST" and r.url.path.endswith("/shipments"))
    world.run("shipments")
    assert ShipmentPush.objects.get().state == "failed"
    # A refund made in the store (restocked as a return) whose RMA request times out.
    world.refund_in_store(refunded, {"JEANS-32": 1})
    timeouts(world.miinto_transport, 10, lambda r: r.method == "POST" and r.url.path.endswith("/returns"))
    world.sync_refunds()
    assert RmaRequestPush.objects.get().state == "failed"
    # An RMA accepted in Miinto whose store refund times out.
    return_id = world.customer_return(returned, {"TEE-BLK-M": 1})
    world.decide_in_miinto(return_id, "accepted", "Received")
    timeouts(world.store_transport, 10, lambda r: b"refundCreate" in r.content)
    world.sync_rmas()
    assert RefundPush.objects.get().state == "failed"
    timeouts(world.store_transport, 0, lambda r: True)
    timeouts(world.miinto_transport, 0, lambda r: True)
    # Miinto's support declines a position we accepted, corrects a quantity and a price.
    declined_transfer = world.miinto.state.transfers[world.miinto.state.orders[declined.miinto_id].transfer_id]
    declined_transfer.positions[0].status = "declined"
    _miinto_position(world, miscounted).quantity = 1
    _miinto_position(world, repriced).price = 9000

    report = reconcile(world)
    assert report.status == "done", report.error
    assert _found(report) == {
        (FindingKind.ACCEPTED_NO_STORE_ORDER, str(unpushed.miinto_id), Fix.REPUSH_ORDER),
        (FindingKind.SHIPPED_NOT_ON_MIINTO, str(shipped.miinto_id), Fix.RESEND_SHIPMENT),
        (FindingKind.REFUND_WITHOUT_RMA, str(refunded.miinto_id), Fix.CREATE_RMA_REQUEST),
        (FindingKind.RMA_WITHOUT_REFUND, str(returned.miinto_id), Fix.PUSH_REFUND),
        (FindingKind.STORE_ORDER_DECLINED, str(declined.miinto_id), Fix.NONE),
        (FindingKind.QUANTITY_MISMATCH, str(miscounted.miinto_id), Fix.NONE),
        (FindingKind.AMOUNT_MISMATCH, str(repriced.miinto_id), Fix.NONE),
        (FindingKind.STOCK_MISMATCH, "JEANS-32", Fix.PUSH_STOCK),
    }
    assert report.findings_total == 8 and sum(report.counts.values()) == 8

    # The fixes: each sends a stuck outbox row back to pending (or queues a stock run); the outbox then does its work.
    assert _fix_all(world, report, kinds={k for k in FindingKind if k != FindingKind.STOCK_MISMATCH}) == 4
    for model in (StorePush, ShipmentPush, RmaRequestPush, RefundPush):
        execute_due(world, model)
    assert len(world.store.orders_summary(reference=f"miinto-{world.connection.shop_id}-{unpushed.miinto_id}")) == 1
    assert world.miinto.state.orders[shipped.miinto_id].status == "sent"
    assert len(world.effects("rmaRequests")) == 1 and len(world.store_refunds(returned)) == 1

    after_fixes = reconcile(world)
    # The re-pushed order took a T-shirt from the store's stock: the stock fixes take both levels to Miinto.
    assert _found(after_fixes) == {
        (FindingKind.STORE_ORDER_DECLINED, str(declined.miinto_id), Fix.NONE),
        (FindingKind.QUANTITY_MISMATCH, str(miscounted.miinto_id), Fix.NONE),
        (FindingKind.AMOUNT_MISMATCH, str(repriced.miinto_id), Fix.NONE),
        (FindingKind.STOCK_MISMATCH, "JEANS-32", Fix.PUSH_STOCK),
        (FindingKind.STOCK_MISMATCH, "TEE-BLK-M", Fix.PUSH_STOCK),
    }
    assert _fix_all(world, after_fixes) == 2
    _run_queued(world, "stock")

    # What has no automatic fix is settled with Miinto by hand; then the period is clean.
    declined_transfer.positions[0].status = "accepted"
    _miinto_position(world, miscounted).quantity = 2
    _miinto_position(world, repriced).price = 10000
    final = reconcile(world)
    assert (_found(final), final.is_clean) == (set(), True)
