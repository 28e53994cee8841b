"""A run's remote reads are paged and stop at the period; an order accepted only in Miinto's back office is found and
fetched into the store by its fix; a Miinto outage fails the run and keeps nothing; the daily pass runs once a day."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from koongo.accounts.tenancy import merchant_scope
from orders.models import DecisionPush, Order, StorePush
from reconciliation import collect
from reconciliation.kinds import FindingKind, Fix
from reconciliation.models import Finding, ReconciliationRun
from reconciliation.services import finding_fix, reconciliation_daily
from tests.reconciliation.conftest import execute_due, reconcile
from tests.rma.conftest import GTIN_TEE_M


def _accepted_in_back_office(world, count: int) -> list[int]:
    """Transfers the merchant accepted in Miinto's own back office: Miinto has the orders, we never saw them."""
    order_ids = []
    for _ in range(count):
        transfer = world.miinto.state.create_transfer(world.connection.shop_id, [{"gtin": GTIN_TEE_M, "price": 10000, "quantity": 1}])
        world.control("POST", f"transfers/{transfer.id}/decide", {"accepted": [transfer.positions[0].id]})
        order_ids.append(transfer.order_id)
    return order_ids


def test_miinto_is_read_in_pages_that_stop_at_the_period_and_the_fetch_fix_puts_the_order_in_the_store(world, monkeypatch):
    monkeypatch.setattr(collect, "PAGE_SIZE", 2)
    old = _accepted_in_back_office(world, 2)
    for order_id in old:  # accepted ten days ago, before the period
        world.miinto.state.orders[order_id].created_at -= 10 * 86400
    recent = _accepted_in_back_office(world, 3)
    world.miinto.requests.clear()

    run = reconcile(world)

    order_pages = [parse_qs(r["query"]) for r in world.miinto.requests if r["path"].endswith("/orders")]
    assert [(q["limit"], q["offset"]) for q in order_pages] == [(["2"], ["0"]), (["2"], ["2"])]
    # Only the transfers we never saw are read one by one (to find the transfer behind each order); ours are not.
    assert len([r for r in world.miinto.requests if "/transfers/" in r["path"]]) == 5
    with merchant_scope(world.merchant):
        found = list(Finding.objects.filter(run=run).order_by("miinto_order_id"))
    assert [(f.kind, f.miinto_order_id, f.fix, f.order_id) for f in found] == [
        (FindingKind.ACCEPTED_NO_STORE_ORDER, order_id, Fix.FETCH_ORDER, None) for order_id in sorted(recent)
    ]
    assert run.remote_reads > 0

    with merchant_scope(world.merchant):
        finding_fix(finding=found[0], by="user:owner")
    execute_due(world, DecisionPush)
    with merchant_scope(world.merchant):
        fetched = Order.objects.get(miinto_id=found[0].miinto_order_id)
    execute_due(world, StorePush)
    assert len(world.store.orders_summary(reference=f"miinto-{world.connection.shop_id}-{fetched.miinto_id}")) == 1
    again = reconcile(world)
    with merchant_scope(world.merchant):
        assert sorted(Finding.objects.filter(run=again).values_list("miinto_order_id", flat=True)) == sorted(recent)[1:]


def test_a_fix_applies_once(world):
    [order_id] = _accepted_in_back_office(world, 1)
    run = reconcile(world)
    with merchant_scope(world.merchant):
        finding = Finding.objects.get(run=run)
        finding_fix(finding=finding, by="user:owner")
        with pytest.raises(ValidationError) as refused:
            finding_fix(finding=finding, by="user:owner")
    assert refused.value.messages == ["This finding was fixed already."]
    execute_due(world, DecisionPush)
    with merchant_scope(world.merchant):
        assert Order.objects.filter(miinto_id=order_id).count() == 1 and StorePush.objects.count() == 1
        assert (finding.fixed_by, finding.fixed_at is not None) == ("user:owner", True)


def test_a_miinto_outage_fails_the_run_and_keeps_no_findings(world):
    _accepted_in_back_office(world, 1)
    world.control("POST", "faults", {"fail_next": 50, "fail_status": 503})
    run = reconcile(world)
    assert run.status == "failed" and "503" in run.error
    with merchant_scope(world.merchant):
        assert Finding.objects.filter(run=run).count() == 0 and run.findings_total == 0


def test_the_daily_pass_queues_yesterday_once_per_active_connection(world, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks() as queued:
        assert reconciliation_daily(now) == 1
        assert reconciliation_daily(now) == 0
    with merchant_scope(world.merchant):
        run = ReconciliationRun.objects.get()
    assert (run.trigger, run.status, run.period_end - run.period_start, len(queued)) == ("schedule", "queued", timedelta(days=1), 1)
    assert run.period_end <= now


def _queries_of_a_run(world) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run = reconcile(world)
    assert run.status == "done", run.error
    return len(captured.captured_queries)


def test_a_run_costs_the_same_queries_for_one_divergent_order_or_five(world):
    reconcile(world)  # the first run logs in to Miinto and creates the catalog settings: one-off writes
    _accepted_in_back_office(world, 1)
    one = _queries_of_a_run(world)
    _accepted_in_back_office(world, 4)
    five = _queries_of_a_run(world)
    with merchant_scope(world.merchant):
        assert list(ReconciliationRun.objects.order_by("pk").values_list("findings_total", flat=True)) == [0, 1, 5]
    assert five == one


def test_an_rma_accepted_in_miinto_we_never_heard_of_is_recorded_and_refunded_by_its_fix(world):
    from rma.models import RefundPush, Rma

    order = world.sell((GTIN_TEE_M, 10000, 1))
    return_id = world.customer_return(order, {"TEE-BLK-M": 1})
    world.sync_rmas()
    world.decide_in_miinto(return_id, "accepted", "Received at the warehouse")  # no RMA run since: ours says pending
    run = reconcile(world)
    with merchant_scope(world.merchant):
        [finding] = Finding.objects.filter(run=run).select_related("rma", "connection")
        assert (finding.kind, finding.miinto_return_id, finding.rma.status, finding.fix) == (
            "rma_without_refund", return_id, "pending", "push_refund",
        )
        finding_fix(finding=finding, by="user:owner")
        assert Rma.objects.get(miinto_id=return_id).status == "accepted"
    execute_due(world, RefundPush)
    assert len(world.store_refunds(order)) == 1
    assert reconcile(world).findings_total == 0


def test_a_fix_that_cannot_reach_miinto_changes_nothing_and_says_why(world):
    [order_id] = _accepted_in_back_office(world, 1)
    run = reconcile(world)
    world.control("POST", "faults", {"fail_next": 50, "fail_status": 503})
    with merchant_scope(world.merchant):
        finding = Finding.objects.get(run=run)
        with pytest.raises(ValidationError) as refused:
            finding_fix(finding=finding, by="user:owner")
        assert refused.value.messages[0].startswith("Miinto or the store could not be reached, so nothing changed:")
        finding.refresh_from_db()
        assert (finding.fixed_at, Order.objects.filter(miinto_id=order_id).exists()) == (None, False)


def test_each_finding_is_announced_to_subscribed_webhook_endpoints_with_the_run(world):
    from webhooks.event_types import RECONCILIATION_FINDING
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    with merchant_scope(world.merchant):
        endpoint, _ = endpoint_create(merchant=world.merchant, url="https://hooks.example.com/koongo", event_types=[RECONCILIATION_FINDING])
    _accepted_in_back_office(world, 2)
    run = reconcile(world)
    with merchant_scope(world.merchant):
        findings = set(Finding.objects.filter(run=run).values_list("pk", flat=True))
        deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint))
    assert len(findings) == 2
    assert {d.event_type for d in deliveries} == {RECONCILIATION_FINDING}
    assert {d.payload["data"]["finding_id"] for d in deliveries} == findings
    assert {d.payload["data"]["run_id"] for d in deliveries} == {run.pk}
