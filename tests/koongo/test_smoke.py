"""Smoke tests: sign-up, login (rate-limited), overview, /api/v1/me, the switcher, and a warning-free schema."""

import pytest
from django.core.management import call_command

from tests.conftest import make_api_client
from tests.factories import MembershipFactory, MerchantFactory


def test_login_then_overview(client, owner, merchant):
    response = client.post("/login/", {"username": "owner@a.example", "password": "pass-word-123"})
    assert response.status_code == 302 and response.url == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Merchant A" in page.content.decode() and 'id="plan-name">Business' in page.content.decode()


def test_overview_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_login_is_rate_limited_per_username(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [client.post("/login/", {"username": "owner@a.example", "password": "wrong"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    blocked = client.post("/login/", {"username": "owner@a.example", "password": "pass-word-123"})
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_signup_creates_owner_on_free_plan(client, db):
    response = client.post(
        "/signup/",
        {"company": "Shoe Shop", "email": "New@Shop.example", "password": "a-long-passphrase-1", "timezone": "Europe/Oslo"},
    )
    assert response.status_code == 302
    from koongo.accounts.models import Membership

    membership = Membership.objects.get(user__username="new@shop.example")
    assert (membership.merchant.name, membership.role, membership.merchant.plan.code) == ("Shoe Shop", "owner", "free")


def test_signup_field_errors(client, db):
    response = client.post("/signup/", {"company": "", "email": "not-an-email", "password": "1", "timezone": "Mars/Base"})
    fields = {e for e in response.context["form"].errors}
    assert fields == {"company", "email", "timezone"}


def test_me_with_api_key(merchant):
    api = make_api_client(merchant, "viewer")
    assert api.get("/api/v1/me").json() == {
        "merchant": {"id": merchant.pk, "name": "Merchant A"},
        "plan": "business",
        "role": "viewer",
        "auth": "api_key",
        "language": None,
    }


def test_me_without_credentials_is_refused(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/me").status_code in (401, 403)


def test_switch_merchant_only_to_own_memberships(client, owner, merchant):
    second = MerchantFactory(name="Second shop")
    MembershipFactory(user=owner, merchant=second)
    foreign = MerchantFactory(name="Foreign")
    client.force_login(owner)
    client.post("/switch/", {"merchant": second.pk})
    assert "Second shop" in client.get("/").content.decode()
    assert client.post("/switch/", {"merchant": foreign.pk}).status_code == 404


def test_schema_generates_without_warnings(db, tmp_path):
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/me" in (tmp_path / "schema.yml").read_text()


@pytest.mark.django_db
def test_docs_page_is_served_locally_and_csp_clean(client):
    response = client.get("/api/docs/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "cdn" not in body.lower()
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_carry_a_self_only_csp(client):
    response = client.get("/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()
