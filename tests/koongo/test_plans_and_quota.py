"""Plans gate features; the monthly order quota warns at 80 % and 100 % once, and never blocks."""

import pytest
from django.core import mail

from koongo.accounts.models import Plan
from koongo.accounts.services import plan_allows, quota_percent, usage_add_orders


@pytest.mark.parametrize(
    "code,order_sync,rma,refund_sync",
    [
        ("free", False, False, False),
        ("starter", True, False, False),
        ("business", True, True, True),
        ("enterprise", True, True, True),
    ],
)
def test_feature_checks_per_plan(db, code, order_sync, rma, refund_sync):
    from tests.factories import MerchantFactory

    merchant = MerchantFactory(plan=Plan.objects.get(code=code))
    assert [plan_allows(merchant, f) for f in ("order_sync", "rma", "refund_sync")] == [order_sync, rma, refund_sync]


def test_unknown_feature_is_an_error(merchant):
    with pytest.raises(ValueError):
        plan_allows(merchant, "teleportation")


@pytest.fixture
def add_orders(django_capture_on_commit_callbacks):
    """usage_add_orders with its after-commit e-mails run, as they would outside the test transaction."""

    def add(merchant, count):
        with django_capture_on_commit_callbacks(execute=True):
            return usage_add_orders(merchant=merchant, count=count)

    return add


def test_quota_notices_at_80_and_100_percent_once_each(merchant, owner, add_orders):
    merchant.plan = Plan.objects.create(code="tiny", name="Tiny", order_sync=True, orders_per_month=10)
    merchant.save()
    add_orders(merchant, 7)
    assert mail.outbox == []
    add_orders(merchant, 1)
    assert [m.subject for m in mail.outbox] == ["Miinto orders: 80% of your monthly quota used"]
    assert mail.outbox[0].to == ["owner@a.example"]
    add_orders(merchant, 1)
    assert len(mail.outbox) == 1
    assert add_orders(merchant, 3) == 12  # over the quota: still counted, never refused
    assert [m.subject for m in mail.outbox][-1] == "Miinto orders: 100% of your monthly quota used"
    assert len(mail.outbox) == 2
    assert quota_percent(merchant) == 120


def test_quota_banner_on_the_dashboard(merchant, owner_client):
    merchant.plan = Plan.objects.create(code="tiny", name="Tiny", order_sync=True, orders_per_month=10)
    merchant.save()
    assert "quota-banner" not in owner_client.get("/").content.decode()
    usage_add_orders(merchant=merchant, count=9)
    page = owner_client.get("/").content.decode()
    assert 'id="quota-banner"' in page and "90%" in page


def test_unlimited_plan_has_no_quota(merchant):
    merchant.plan = Plan.objects.get(code="enterprise")
    usage_add_orders(merchant=merchant, count=100000)
    assert quota_percent(merchant) is None
    assert mail.outbox == []


def test_plan_request_mails_admins(merchant, owner_client, settings, django_capture_on_commit_callbacks):
    settings.ADMINS = [("Ops", "ops@example.com")]
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/plan/", {"plan": Plan.objects.get(code="enterprise").pk, "message": "more"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    assert "Enterprise" in mail.outbox[0].subject


def test_the_quota_month_is_the_merchants_month(merchant):
    """At 23:30 UTC on 31 January it is already 1 February in Copenhagen: the order counts for February there."""
    from datetime import UTC, date, datetime

    import time_machine

    from koongo.accounts.models import MonthlyUsage
    from koongo.accounts.tenancy import merchant_scope

    merchant.timezone = "Europe/Copenhagen"
    merchant.save()
    with time_machine.travel(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), tick=False):
        usage_add_orders(merchant=merchant, count=1)
    with merchant_scope(merchant):
        assert list(MonthlyUsage.objects.values_list("month", "orders")) == [(date(2027, 2, 1), 1)]
