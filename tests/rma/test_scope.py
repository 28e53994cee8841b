"""Scope: RMA needs active order sync and the plan's `rma`; refund sync also needs `refund_sync`, a selected platform and
store orders; Miinto China never gets an RMA call; the from-date filters RMAs too."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from connections.models import Problem, SyncRun
from connections.sync.runs import SyncRefused, registered_flows, sync_dispatch_due
from koongo.accounts.models import Plan
from koongo.accounts.tenancy import merchant_scope
from orders.models import Order, OrderLine, Transfer
from platforms.capabilities import Capability
from platforms.shopify.adapter import ShopifyAdapter
from rma.decisions import rma_decide
from rma.models import RefundPush, Rma
from rma.outbox import rma_rows_execute
from rma.refunds import manual_refund_done
from rma.requests import rma_request_create
from rma.scope import CN_MESSAGE, refund_sync_scope, rma_scope
from tests.rma.conftest import CN_SHOP, GTIN_TEE_M, build_world


@pytest.fixture
def cn_world(merchant):
    yield from build_world(merchant, "shopify", shop_id=CN_SHOP)


def _cn_order(world) -> Order:
    """A CN order as the orders flow would have stored it (CN prices are CNY, so the catalog rule would not accept it)."""
    transfer = Transfer.objects.create(merchant=world.merchant, connection=world.connection, miinto_id=1)
    order = Order.objects.create(merchant=world.merchant, connection=world.connection, transfer=transfer, miinto_id=11, currency="CNY",
                                 store_order_id="gid://shopify/Order/1")
    OrderLine.objects.create(merchant=world.merchant, order=order, miinto_position_id=111, sku="TEE-BLK-M", quantity=1, unit_price=Decimal("800"))
    return order


def test_cn_never_calls_miinto_for_returns_and_says_why(cn_world, owner_client):
    world = cn_world
    assert rma_scope(world.connection) == rma_scope(world.connection) and not rma_scope(world.connection)
    assert rma_scope(world.connection).reason == CN_MESSAGE
    rma_run, refunds_run = world.sync_rmas(), world.sync_refunds()
    assert (rma_run.status, rma_run.error_summary) == ("partial", CN_MESSAGE)
    assert refunds_run.error_summary == CN_MESSAGE
    order = _cn_order(world)
    rma = Rma.objects.create(merchant=world.merchant, connection=world.connection, order=order, miinto_id=5, miinto_order_id=11,
                             origin="customer", currency="CNY")
    with pytest.raises(ValidationError) as refused:
        rma_decide(merchant=world.merchant, rma=rma, outcome="accepted", reason="ok", actor="a")
    assert refused.value.messages == [CN_MESSAGE]
    with pytest.raises(ValidationError):
        rma_request_create(merchant=world.merchant, order=order, quantities={111: 1}, reason="", actor="a")
    rma_rows_execute(world.connection)
    assert world.returns_calls() == []
    assert world.effects("returnDecisions") == [] and world.effects("rmaRequests") == []
    for url in (f"/connections/{world.connection.pk}/", "/rmas/", f"/orders/{order.transfer_id}/?tab=rma", f"/orders/{order.transfer_id}/?tab=refunds"):
        page = owner_client.get(url).content.decode()
        assert "Miinto Partner Support" in page, url
    assert world.returns_calls() == []


def test_the_schedule_runs_no_rma_or_refunds_flow_for_cn(cn_world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the connection's tick task runs its due flows
        sync_dispatch_due()
    with merchant_scope(cn_world.merchant):
        flows = set(SyncRun.objects.filter(connection=cn_world.connection).values_list("flow", flat=True))
    assert "orders" in flows and not flows & {"rma", "refunds"}


def test_the_schedule_runs_both_flows_for_an_active_connection_on_a_plan_with_rma(rma_world, django_capture_on_commit_callbacks):
    assert {"rma", "refunds"} <= set(registered_flows())
    with django_capture_on_commit_callbacks(execute=True):
        sync_dispatch_due()
    with merchant_scope(rma_world.merchant):
        flows = set(SyncRun.objects.filter(connection=rma_world.connection).values_list("flow", flat=True))
    assert {"orders", "rma", "refunds"} <= flows


def test_a_plan_without_rma_runs_nothing_and_refuses_decisions(rma_world, django_capture_on_commit_callbacks):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.merchant.plan = Plan.objects.get(code="starter")
    rma_world.merchant.save()
    rma_world.connection.refresh_from_db()
    run = rma_world.sync_rmas()
    assert run.error_summary.startswith("Your plan does not include RMA.")
    assert rma_world.returns_calls() == [] and Rma.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        sync_dispatch_due()
    with merchant_scope(rma_world.merchant):
        scheduled = set(SyncRun.objects.filter(trigger="schedule").values_list("flow", flat=True))
    assert not scheduled & {"rma", "refunds"}


def test_a_disabled_connection_syncs_no_rmas(rma_world):
    from connections.services import miinto_connection_deactivate

    with merchant_scope(rma_world.merchant):
        miinto_connection_deactivate(connection=rma_world.connection)
    rma_world.connection.refresh_from_db()
    assert rma_scope(rma_world.connection).reason.startswith("Order synchronization is not active")
    with pytest.raises(SyncRefused):
        rma_world.sync_rmas()


def _accept(world, order):
    world.customer_return(order, {"TEE-BLK-M": 1})
    world.sync_rmas()
    rma = Rma.objects.get()
    rma_decide(merchant=world.merchant, rma=rma, outcome="accepted", reason="ok", actor="a")
    rma_rows_execute(world.connection)
    rma.refresh_from_db()
    return rma


def test_on_a_platform_without_refund_sync_the_merchant_enters_the_return_by_hand(rma_world, monkeypatch, owner_client):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    monkeypatch.setattr(ShopifyAdapter, "capabilities", ShopifyAdapter.capabilities - {Capability.REFUND_SYNC})
    assert refund_sync_scope(rma_world.connection).reason == "Refund sync is not available for shopify: enter returns in your store by hand."
    rma = _accept(rma_world, order)
    assert rma.status == "accepted" and RefundPush.objects.count() == 0
    assert rma_world.store_refunds(order) == []
    [problem] = Problem.objects.filter(kind="rma_manual_refund")
    assert problem.message.startswith(f"Enter this return in your store by hand: Miinto RMA {rma.miinto_id} on Miinto order {order.number}")
    assert "1 × TEE-BLK-M" in problem.message and "total DKK100.00" in problem.message
    page = owner_client.get(f"/orders/{order.transfer_id}/?tab=rma").content.decode()
    assert "Enter this return in your store by hand" in page and 'data-action="refund-done"' in page
    response = owner_client.post(f"/rmas/{rma.pk}/refund-done/")
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.state, problem.resolved_by) == ("handled", "user:owner@a.example")
    assert manual_refund_done(merchant=rma_world.merchant, rma=rma, by="again") == 0


def test_a_plan_without_refund_sync_and_stock_only_mode_ask_for_manual_entry(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    plan = Plan.objects.create(code="rma-only", name="RMA only", order_sync=True, rma=True, refund_sync=False)
    rma_world.merchant.plan = plan
    rma_world.merchant.save()
    rma_world.connection.refresh_from_db()
    assert refund_sync_scope(rma_world.connection).reason.startswith("Your plan does not include refund sync")
    _accept(rma_world, order)
    assert RefundPush.objects.count() == 0 and Problem.objects.filter(kind="rma_manual_refund").count() == 1
    run = rma_world.sync_refunds()
    assert run.error_summary.startswith("Your plan does not include refund sync")


def test_stock_only_has_no_store_orders_to_refund(rma_world):
    from connections.services import order_configuration_update

    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    with merchant_scope(rma_world.merchant):
        order_configuration_update(configuration=rma_world.connection.order_configuration, sync_level="stock_only")
    rma_world.connection.refresh_from_db()
    _accept(rma_world, order)
    assert RefundPush.objects.count() == 0
    assert "Stock only" in Problem.objects.get(kind="rma_manual_refund").message


def test_the_from_date_filters_rmas_too(rma_world):
    from connections.services import order_configuration_update

    order = rma_world.sell((GTIN_TEE_M, 10000, 2))
    old = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.miinto.state.returns[old].created_at = datetime(2023, 5, 1, tzinfo=UTC).timestamp()
    new = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    with merchant_scope(rma_world.merchant):
        order_configuration_update(configuration=rma_world.connection.order_configuration, sync_from_date=date(2026, 1, 1))
    run = rma_world.sync_rmas()
    assert (run.seen, run.skipped) == (1, 1)
    assert list(Rma.objects.values_list("miinto_id", flat=True)) == [new]


def test_a_plan_without_rma_shows_why_on_the_rma_settings_page_with_a_link_to_the_plan_page(rma_world, owner_client):
    rma_world.merchant.plan = Plan.objects.get(code="starter")
    rma_world.merchant.save()
    body = owner_client.get(f"/rmas/settings/{rma_world.connection.pk}/").content.decode()
    assert "Your plan does not include RMA." in body and '<a href="/plan/" class="plan-link">See plans</a>' in body


def test_rma_pages_show_the_order_number_the_orders_pages_show(rma_world, owner_client):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    order.refresh_from_db()
    assert order.parent_order_id and order.parent_order_id != order.miinto_id
    rma = Rma.objects.get()
    assert rma.order_number == order.number == order.parent_order_id
    listing = owner_client.get("/rmas/").content.decode()
    orders = owner_client.get("/orders/").content.decode()
    assert f">{order.parent_order_id}</td>" in listing and f">{order.parent_order_id}</td>" in orders
    assert f">{order.miinto_id}</td>" not in listing
