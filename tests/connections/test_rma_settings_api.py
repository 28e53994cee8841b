"""(Here for the connection fixtures.) RMA settings per connection and the RMA e-mail digest preference per member, through the API, as on the dashboard."""

from __future__ import annotations

from rest_framework.test import APIClient

from connections import services as connection_services
from koongo.accounts.models import Membership, Role
from koongo.accounts.tenancy import merchant_scope
from rma.models import RmaDigestOptOut, RmaSettings
from tests.conftest import make_api_client
from tests.connections.conftest import CN_SHOP, MIINTO_PASSWORD, MIINTO_USER, SE_SHOP
from tests.factories import MembershipFactory


def test_rma_settings_read_and_change_restock(merchant, connection, api_client):
    row = api_client.get(f"/api/v1/rma-settings/{connection.pk}/").json()
    assert row["connection"] == connection.pk and row["restock_refunds"] is True
    assert row["rma_sync"] is True and row["rma_sync_reason"] == ""
    changed = api_client.patch(f"/api/v1/rma-settings/{connection.pk}/", {"restock_refunds": False}, format="json")
    assert changed.status_code == 200 and changed.json()["restock_refunds"] is False
    with merchant_scope(merchant):
        assert RmaSettings.objects.get(connection=connection).restock_refunds is False
    assert api_client.patch(f"/api/v1/rma-settings/{connection.pk}/", {}, format="json").json() == {
        "restock_refunds": ["This field is required."]
    }


def test_rma_settings_say_why_the_cn_shop_has_no_rma(merchant, connection, api_client, tested_store):
    cn = connection_services.miinto_connection_create(
        merchant=merchant, environment="simulator", username=MIINTO_USER, password=MIINTO_PASSWORD, shop_id=CN_SHOP,
        store_connection=tested_store, activate=True,
    )
    rows = {row["connection"]: row for row in api_client.get("/api/v1/rma-settings/").json()["results"]}
    assert rows[cn.pk]["rma_sync"] is False
    assert rows[cn.pk]["rma_sync_reason"].startswith("Miinto China (CN) returns cannot be processed automatically")
    assert rows[connection.pk]["rma_sync"] is True


def test_a_viewer_key_cannot_change_rma_settings(connection, viewer_api_client):
    assert viewer_api_client.patch(f"/api/v1/rma-settings/{connection.pk}/", {"restock_refunds": False}, format="json").status_code == 403


def test_each_member_switches_their_own_digest_and_owners_switch_anyones(merchant, owner):
    viewer = MembershipFactory(merchant=merchant, role=Role.VIEWER, user__username="v@a.example", user__email="v@a.example")
    owner_membership = Membership.objects.get(merchant=merchant, user=owner)
    as_viewer = APIClient()
    as_viewer.force_login(viewer.user)
    # A viewer may stop their own e-mails (as on the dashboard), but not the owner's.
    mine = as_viewer.patch(f"/api/v1/rma-digest/{viewer.pk}/", {"receives_digest": False}, format="json")
    assert mine.status_code == 200 and mine.json()["receives_digest"] is False
    assert as_viewer.patch(f"/api/v1/rma-digest/{owner_membership.pk}/", {"receives_digest": False}, format="json").status_code == 403
    with merchant_scope(merchant):
        assert list(RmaDigestOptOut.objects.values_list("user__username", flat=True)) == ["v@a.example"]

    owner_key = make_api_client(merchant, "owner")
    assert owner_key.patch(f"/api/v1/rma-digest/{viewer.pk}/", {"receives_digest": True}, format="json").json()["receives_digest"] is True
    staff_key = make_api_client(merchant, "staff")
    assert staff_key.patch(f"/api/v1/rma-digest/{viewer.pk}/", {"receives_digest": False}, format="json").status_code == 403
    listed = {row["email"]: row["receives_digest"] for row in staff_key.get("/api/v1/rma-digest/").json()["results"]}
    assert listed == {"v@a.example": True, owner.email: True}


def test_another_merchants_settings_and_members_answer_404(merchant, owner, connection, other_merchant):
    stranger = make_api_client(other_merchant, "owner")
    member = Membership.objects.get(merchant=merchant, user=owner)
    assert stranger.get(f"/api/v1/rma-settings/{connection.pk}/").status_code == 404
    assert stranger.patch(f"/api/v1/rma-settings/{connection.pk}/", {"restock_refunds": False}, format="json").status_code == 404
    assert stranger.patch(f"/api/v1/rma-digest/{member.pk}/", {"receives_digest": False}, format="json").status_code == 404
    assert stranger.get("/api/v1/rma-settings/").json()["results"] == []
    with merchant_scope(merchant):
        assert not RmaDigestOptOut.objects.exists()


def test_rma_settings_list_queries_do_not_grow(merchant, connection, api_client, tested_store, django_assert_max_num_queries):
    connection_services.miinto_connection_create(
        merchant=merchant, environment="simulator", username=MIINTO_USER, password=MIINTO_PASSWORD, shop_id=SE_SHOP,
        store_connection=tested_store, activate=True,
    )
    with django_assert_max_num_queries(8):
        assert len(api_client.get("/api/v1/rma-settings/").json()["results"]) == 2
