"""The merchant's set-up journey in the dashboard: Get Available Stores, select store, activate, plan gating."""

import pytest
from django.db import connection as db

from connections.models import ConnectionStatus, MiintoConnection
from koongo.accounts.models import Plan
from koongo.accounts.tenancy import merchant_scope
from tests.connections.conftest import CN_SHOP, DK_SHOP, MIINTO_PASSWORD, MIINTO_USER

LOGIN = {"environment": "simulator", "username": MIINTO_USER, "password": MIINTO_PASSWORD}


def _connections(merchant):
    with merchant_scope(merchant):
        return list(MiintoConnection.objects.filter(merchant=merchant))


def test_get_available_stores_lists_shops_with_market_and_currency(owner_client, miinto_sim):
    page = owner_client.post("/connections/add/", {**LOGIN, "action": "stores"})
    assert page.status_code == 200
    stores = [(s.shop_id, s.name, s.market, s.currency) for s in page.context["stores"]]
    assert stores == [
        (DK_SHOP, "Nordic Threads DK", "DK", "DKK"),
        ("1-m!i!s-046-2002", "Nordic Threads SE", "SE", "SEK"),
        (CN_SHOP, "Nordic Threads CN", "CN", "CNY"),
    ]
    assert 'id="store-list"' in page.content.decode()


def test_the_store_list_is_an_htmx_partial(owner_client, miinto_sim):
    page = owner_client.post("/connections/add/", {**LOGIN, "action": "stores"}, HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert body.lstrip().startswith('<div id="stores-inner">') and "<html" not in body
    assert "Nordic Threads SE" in body


def test_wrong_password_is_a_field_error_and_saves_nothing(owner_client, merchant, miinto_sim):
    page = owner_client.post("/connections/add/", {**LOGIN, "password": "wrong", "action": "stores"})
    assert page.context["form"].errors["password"] == ["Miinto did not accept this username and password."]
    assert page.context["stores"] == []
    assert _connections(merchant) == []


def test_wizard_saves_and_activates(owner_client, merchant, miinto_sim, tested_store):
    response = owner_client.post(
        "/connections/add/", {**LOGIN, "action": "save", "shop_id": DK_SHOP, "store_connection": tested_store.pk, "activate": "1"}
    )
    [saved] = _connections(merchant)
    assert response.status_code == 302 and response.url == f"/connections/{saved.pk}/"
    assert (saved.shop_id, saved.market, saved.currency, saved.shop_name, saved.status) == (
        DK_SHOP,
        "DK",
        "DKK",
        "Nordic Threads DK",
        "active",
    )
    assert saved.next_sync_at is not None
    with merchant_scope(merchant):
        configuration = saved.order_configuration
    assert (configuration.sync_level, configuration.auto_accept, str(configuration.price_threshold)) == (
        "orders_and_stock",
        False,
        "0.9700",
    )
    assert (configuration.reference_price_attribute, configuration.product_identification_attribute) == ("final_price", "id")
    with db.cursor() as cursor:
        cursor.execute("SELECT password FROM connections_miintoconnection WHERE id = %s", [saved.pk])
        assert MIINTO_PASSWORD not in cursor.fetchone()[0]


def test_the_same_shop_cannot_be_connected_twice(owner_client, merchant, miinto_sim, tested_store):
    data = {**LOGIN, "action": "save", "shop_id": DK_SHOP, "store_connection": "", "activate": "0"}
    owner_client.post("/connections/add/", data)
    page = owner_client.post("/connections/add/", data)
    assert page.context["form"].errors["shop_id"] == [f"The Miinto shop {DK_SHOP} is already connected."]
    assert len(_connections(merchant)) == 1


def test_free_plan_refuses_activation_and_leaves_the_connection_disabled(owner_client, merchant, miinto_sim, tested_store):
    merchant.plan = Plan.objects.get(code="free")
    merchant.save()
    assert 'id="plan-gate"' in owner_client.get("/connections/add/").content.decode()
    response = owner_client.post(
        "/connections/add/",
        {**LOGIN, "action": "save", "shop_id": DK_SHOP, "store_connection": tested_store.pk, "activate": "1"},
        follow=True,
    )
    [saved] = _connections(merchant)
    assert saved.status == ConnectionStatus.DISABLED and saved.next_sync_at is None
    assert "Your Free plan does not include Miinto order sync. Upgrade your plan" in response.content.decode()


def test_connection_limit_of_the_plan_is_enforced(owner_client, merchant, miinto_sim, tested_store):
    merchant.plan = Plan.objects.create(code="one", name="One", order_sync=True, max_connections=1)
    merchant.save()
    base = {**LOGIN, "action": "save", "store_connection": tested_store.pk, "activate": "1"}
    owner_client.post("/connections/add/", {**base, "shop_id": DK_SHOP})
    response = owner_client.post("/connections/add/", {**base, "shop_id": CN_SHOP}, follow=True)
    statuses = sorted((c.shop_id, c.status) for c in _connections(merchant))
    assert statuses == [(DK_SHOP, "active"), (CN_SHOP, "disabled")]
    assert "allows 1 active connection(s)" in response.content.decode()


def test_activation_needs_a_tested_store(owner_client, merchant, miinto_sim):
    response = owner_client.post(
        "/connections/add/", {**LOGIN, "action": "save", "shop_id": DK_SHOP, "activate": "1"}, follow=True
    )
    [saved] = _connections(merchant)
    assert saved.status == "disabled"
    assert "Link a store connection and test it successfully" in response.content.decode()


def test_viewer_cannot_use_the_wizard(client, merchant, miinto_sim):
    from tests.factories import MembershipFactory

    viewer = MembershipFactory(merchant=merchant, role="viewer").user
    client.force_login(viewer)
    response = client.post("/connections/add/", {**LOGIN, "action": "save", "shop_id": DK_SHOP, "activate": "0"})
    assert response.status_code == 403
    assert _connections(merchant) == []


@pytest.mark.parametrize("action", ["deactivate", "pause"])
def test_connection_page_actions(owner_client, connection, action):
    response = owner_client.post(f"/connections/{connection.pk}/{action}/", {"reason": "Holiday"})
    assert response.status_code == 302
    connection.refresh_from_db()
    if action == "deactivate":
        assert connection.status == "disabled"
    else:
        assert (connection.is_paused, connection.paused_reason) == (True, "Holiday")


def test_the_wizard_keeps_the_password_server_side_between_steps(owner_client, merchant, miinto_sim, tested_store):
    page = owner_client.post("/connections/add/", {**LOGIN, "action": "stores"})
    body = page.content.decode()
    assert MIINTO_PASSWORD not in body and 'id="password-kept"' in body
    assert MIINTO_PASSWORD not in str(dict(owner_client.session))  # encrypted in the server-side session
    saved = owner_client.post("/connections/add/", {**LOGIN, "password": "", "action": "save", "shop_id": DK_SHOP,
                                                    "store_connection": tested_store.pk, "activate": "0"})
    assert saved.status_code == 302
    [connection] = _connections(merchant)
    assert connection.password == MIINTO_PASSWORD
    assert "wizard_miinto_login" not in owner_client.session


def test_the_wizard_does_not_reuse_a_password_for_another_username(owner_client, merchant, miinto_sim, tested_store):
    owner_client.post("/connections/add/", {**LOGIN, "action": "stores"})
    page = owner_client.post("/connections/add/", {**LOGIN, "username": "other@nordic.example", "password": "", "action": "save",
                                                   "shop_id": DK_SHOP, "activate": "0"})
    assert page.status_code == 200 and page.context["form"].errors["password"] == ["This field is required."]
    assert _connections(merchant) == []


def test_the_wizard_marks_a_connected_shop_and_preselects_the_next(owner_client, merchant, miinto_sim, tested_store):
    owner_client.post("/connections/add/", {**LOGIN, "action": "save", "shop_id": DK_SHOP, "activate": "0"})
    body = owner_client.post("/connections/add/", {**LOGIN, "action": "stores"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{DK_SHOP}" id="shop-1" disabled' in body and "already connected" in body
    assert 'value="1-m!i!s-046-2002" id="shop-2" checked' in body
