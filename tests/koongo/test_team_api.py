"""The team through the API: members invited by e-mail (signed link), roles changed, removed, never the last owner;
API keys created (shown once), listed by prefix, revoked. Reads for every role, writes for owners only."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from koongo.accounts.models import Invitation, Membership, MerchantApiKey, Role
from koongo.accounts.tenancy import merchant_scope
from tests.conftest import make_api_client
from tests.factories import MembershipFactory


@pytest.fixture
def owner_api(merchant, owner):
    return make_api_client(merchant, "owner")


def _invite(api, email="ann@shop.example", role="staff", **headers):
    return api.post("/api/v1/members/", {"email": email, "role": role}, format="json", **headers)


def test_invite_sends_an_email_with_a_signed_link_that_lets_the_invitee_join(merchant, owner_api, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(owner_api, "Ann@Shop.example", "viewer")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"]) == ("ann@shop.example", "viewer")
    assert body["invited_by"].startswith("API key test-owner (")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@shop.example"]
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)

    assert client.post(link, {"password1": "a-long-pass-phrase-7", "password2": "a-long-pass-phrase-7"}).status_code == 302
    members = owner_api.get("/api/v1/members/").json()["results"]
    assert {(m["email"], m["role"]) for m in members} == {("owner@a.example", "owner"), ("ann@shop.example", "viewer")}
    assert owner_api.get("/api/v1/members/invitations/").json()["results"] == []


def test_inviting_a_member_again_is_a_field_error_and_inviting_an_address_twice_resends(merchant, owner, owner_api):
    assert _invite(owner_api, "owner@a.example").json() == {"email": ["This address already belongs to a member."]}
    first = _invite(owner_api, "bo@shop.example", "staff").json()
    second = _invite(owner_api, "bo@shop.example", "viewer").json()
    pending = owner_api.get("/api/v1/members/invitations/").json()["results"]
    assert [(i["id"], i["role"]) for i in pending] == [(second["id"], "viewer")] and first["id"] != second["id"]
    assert owner_api.delete(f"/api/v1/members/invitations/{second['id']}/").status_code == 204
    assert owner_api.get("/api/v1/members/invitations/").json()["results"] == []


def test_role_change_and_removal_never_leave_the_merchant_without_an_owner(merchant, owner, owner_api):
    me = Membership.objects.get(merchant=merchant, user=owner)
    refused = owner_api.patch(f"/api/v1/members/{me.pk}/", {"role": "staff"}, format="json")
    assert refused.status_code == 409 and "at least one owner" in refused.json()["detail"]
    assert owner_api.delete(f"/api/v1/members/{me.pk}/").status_code == 409

    other = MembershipFactory(merchant=merchant, user__username="co@a.example", user__email="co@a.example", role=Role.STAFF)
    assert owner_api.patch(f"/api/v1/members/{other.pk}/", {"role": "owner"}, format="json").json()["role"] == "owner"
    assert owner_api.patch(f"/api/v1/members/{me.pk}/", {"role": "viewer"}, format="json").json()["role"] == "viewer"
    assert owner_api.delete(f"/api/v1/members/{me.pk}/").status_code == 204
    assert list(Membership.objects.filter(merchant=merchant).values_list("role", flat=True)) == ["owner"]
    assert owner_api.patch(f"/api/v1/members/{other.pk}/", {"role": "boss"}, format="json").json() == {
        "role": ['"boss" is not a valid choice.']
    }


def test_api_key_is_shown_once_listed_by_prefix_and_revoked(merchant, owner_api):
    created = owner_api.post("/api/v1/api-keys/", {"name": "BI export", "role": "viewer"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith(body["prefix"] + ".") and body["id"] == body["prefix"]
    listed = owner_api.get("/api/v1/api-keys/").json()["results"]
    assert all("key" not in row for row in listed)
    assert body["key"] not in str(listed) and MerchantApiKey.objects.get(prefix=body["prefix"]).hashed_key not in str(listed)

    new_key = APIClient()
    new_key.credentials(HTTP_AUTHORIZATION=f"Api-Key {body['key']}")
    assert new_key.get("/api/v1/me").json()["role"] == "viewer"
    assert owner_api.delete(f"/api/v1/api-keys/{body['id']}/").status_code == 204
    assert new_key.get("/api/v1/me").status_code == 401
    assert owner_api.get(f"/api/v1/api-keys/{body['id']}/").json()["revoked"] is True


def test_api_key_create_is_a_field_error_without_a_name_and_takes_an_idempotency_key(owner_api):
    assert owner_api.post("/api/v1/api-keys/", {"role": "staff"}, format="json").json() == {"name": ["This field is required."]}
    first = owner_api.post("/api/v1/api-keys/", {"name": "ci"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = owner_api.post("/api/v1/api-keys/", {"name": "ci"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.headers["Idempotent-Replay"] == "true" and again.json()["prefix"] == first.json()["prefix"]
    assert owner_api.get("/api/v1/api-keys/").json()["results"].count(
        {k: v for k, v in first.json().items() if k != "key"}
    ) == 1


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewers_read_the_team_but_cannot_change_it(merchant, owner, role):
    api = make_api_client(merchant, role)
    me = Membership.objects.get(merchant=merchant, user=owner)
    key = MerchantApiKey.objects.filter(merchant=merchant).first()
    assert api.get("/api/v1/members/").status_code == 200
    assert api.get("/api/v1/api-keys/").status_code == 200
    writes = [
        api.post("/api/v1/members/", {"email": "x@y.example", "role": "staff"}, format="json"),
        api.patch(f"/api/v1/members/{me.pk}/", {"role": "viewer"}, format="json"),
        api.delete(f"/api/v1/members/{me.pk}/"),
        api.post("/api/v1/api-keys/", {"name": "mine", "role": "staff"}, format="json"),
        api.delete(f"/api/v1/api-keys/{key.prefix}/"),
    ]
    assert [w.status_code for w in writes] == [403] * 5
    me.refresh_from_db()
    assert me.role == "owner" and not MerchantApiKey.objects.get(pk=key.pk).revoked
    with merchant_scope(merchant):
        assert not Invitation.objects.exists()


def test_a_session_owner_manages_the_team_too(merchant, owner):
    session = APIClient()
    session.force_login(owner)
    assert _invite(session).status_code == 201
    with merchant_scope(merchant):
        assert Invitation.objects.get().invited_by == owner


def test_another_merchants_members_keys_and_invitations_answer_404(merchant, owner, owner_api, other_merchant):
    _invite(owner_api)
    key = MerchantApiKey.objects.filter(merchant=merchant).first()
    me = Membership.objects.get(merchant=merchant, user=owner)
    with merchant_scope(merchant):
        invitation = Invitation.objects.get()
    stranger = make_api_client(other_merchant, "owner")
    probes = [
        stranger.get(f"/api/v1/members/{me.pk}/"),
        stranger.patch(f"/api/v1/members/{me.pk}/", {"role": "viewer"}, format="json"),
        stranger.delete(f"/api/v1/members/{me.pk}/"),
        stranger.get(f"/api/v1/members/invitations/{invitation.pk}/"),
        stranger.delete(f"/api/v1/members/invitations/{invitation.pk}/"),
        stranger.get(f"/api/v1/api-keys/{key.prefix}/"),
        stranger.delete(f"/api/v1/api-keys/{key.prefix}/"),
    ]
    assert [p.status_code for p in probes] == [404] * 7
    assert me.pk not in {m["id"] for m in stranger.get("/api/v1/members/").json()["results"]}
    assert key.prefix not in {k["id"] for k in stranger.get("/api/v1/api-keys/").json()["results"]}
    assert not MerchantApiKey.objects.get(pk=key.pk).revoked


def test_list_queries_do_not_grow_with_the_team(merchant, owner, owner_api, django_assert_max_num_queries):
    for n in range(30):
        MembershipFactory(merchant=merchant, role=Role.VIEWER, user__username=f"m{n}@a.example")
        _invite(owner_api, f"i{n}@b.example")
        make_api_client(merchant, "viewer")
    for url in ("/api/v1/members/", "/api/v1/members/invitations/", "/api/v1/api-keys/"):
        with django_assert_max_num_queries(8):
            assert len(owner_api.get(url).json()["results"]) >= 30
