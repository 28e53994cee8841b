"""A plan downgrade is enforced: connections the plan no longer allows are paused with the reason and a link to the
plan page, nothing is deleted, and an upgrade (or a freed slot) resumes them."""

import pytest

from connections import services
from connections.models import MiintoConnection, OrderConfiguration
from connections.sync.runs import SyncRefused, sync_request
from koongo.accounts.models import Plan
from tests.connections.conftest import MIINTO_PASSWORD, MIINTO_USER

SE_SHOP = "1-m!i!s-046-2002"


@pytest.fixture
def two_active(connection, tested_store):
    second = services.miinto_connection_create(
        merchant=connection.merchant, environment="simulator", username=MIINTO_USER, password=MIINTO_PASSWORD, shop_id=SE_SHOP,
        store_connection=tested_store, activate=True,
    )
    return connection, second


def _change_plan(merchant, code):
    merchant.plan = Plan.objects.get(code=code)
    merchant.save()  # as the admin does


def _state(connection):
    connection.refresh_from_db()
    return connection.status, connection.is_paused, connection.paused_by_plan


def test_a_downgrade_to_fewer_connections_pauses_the_newest_and_deletes_nothing(two_active):
    first, second = two_active
    _change_plan(first.merchant, "starter")  # one connection
    assert _state(first) == ("active", False, False)
    assert _state(second) == ("active", True, True)
    assert second.paused_reason == ("Your Starter plan allows 1 active connection(s); this is one more. Nothing was deleted: "
                                    "upgrade your plan to resume, or deactivate another connection.")
    with pytest.raises(SyncRefused):
        sync_request(connection=second, flow="orders", trigger="button")
    assert MiintoConnection.objects.count() == 2 and OrderConfiguration.objects.count() == 2


def test_a_plan_without_order_sync_pauses_every_connection_and_an_upgrade_resumes_them(two_active):
    first, second = two_active
    _change_plan(first.merchant, "free")
    assert _state(first) == ("active", True, True) and _state(second) == ("active", True, True)
    assert first.paused_reason.startswith("Your Free plan does not include Miinto order sync.")
    _change_plan(first.merchant, "business")
    assert _state(first) == ("active", False, False) and _state(second) == ("active", False, False)
    assert second.next_sync_at is not None


def test_a_merchants_own_pause_survives_an_upgrade(two_active):
    first, second = two_active
    services.miinto_connection_pause(connection=second, reason="Paused by the merchant")
    _change_plan(first.merchant, "free")
    _change_plan(first.merchant, "business")
    second.refresh_from_db()
    assert (second.is_paused, second.paused_reason) == (True, "Paused by the merchant")


def test_resume_is_refused_while_the_plan_pauses_and_deactivating_another_frees_the_slot(two_active):
    first, second = two_active
    _change_plan(first.merchant, "starter")
    second.refresh_from_db()
    with pytest.raises(services.ActivationRefused):
        services.miinto_connection_unpause(connection=second)
    assert _state(second) == ("active", True, True)
    services.miinto_connection_deactivate(connection=first)
    assert _state(second) == ("active", False, False)


def test_the_connection_page_shows_the_reason_with_a_link_to_the_plan_page(two_active, owner_client):
    first, second = two_active
    _change_plan(first.merchant, "starter")
    body = owner_client.get(f"/connections/{second.pk}/").content.decode()
    assert 'Sync is paused: <span translate="no">Your Starter plan allows 1 active connection(s)' in body
    assert '<a href="/plan/" id="plan-link">See plans</a>' in body
    listing = owner_client.get("/connections/").content.decode()
    assert "Your Starter plan allows 1 active connection(s)" in listing and 'href="/plan/"' in listing



def test_saving_a_merchant_outside_any_tenant_scope_works(merchant):
    """As the admin does: the plan check enters the merchant's scope itself (no ScopeError)."""
    merchant.plan = Plan.objects.get(code="free")
    merchant.save()
    merchant.refresh_from_db()
    assert merchant.plan.code == "free"
