"""Tenant isolation: scoped queries outside a scope raise, and one merchant can never reach another's rows."""

import pytest
from django_scopes import ScopeError

from koongo.accounts.models import PlanChangeRequest
from koongo.accounts.services import plan_change_request
from koongo.accounts.tenancy import NoMerchant, merchant_scope
from tests.conftest import make_api_client
from tests.factories import MembershipFactory


def test_scoped_query_outside_a_scope_raises(merchant):
    with pytest.raises(ScopeError):
        list(PlanChangeRequest.objects.all())


def test_merchant_scope_refuses_none():
    with pytest.raises(NoMerchant):
        with merchant_scope(None):
            pass


def test_scope_filters_to_its_merchant(merchant, other_merchant, owner):
    from koongo.accounts.models import Plan

    plan = Plan.objects.get(code="enterprise")
    plan_change_request(merchant=merchant, user=owner, plan=plan)
    plan_change_request(merchant=other_merchant, user=owner, plan=plan)
    with merchant_scope(merchant):
        assert [r.merchant_id for r in PlanChangeRequest.objects.all()] == [merchant.pk]


@pytest.fixture
def b_request(other_merchant):
    from koongo.accounts.models import Plan

    user = MembershipFactory(merchant=other_merchant).user
    return plan_change_request(merchant=other_merchant, user=user, plan=Plan.objects.get(code="enterprise"), message="B's")


def _assert_b_untouched(b_request):
    from django_scopes import scopes_disabled

    with scopes_disabled():
        fresh = PlanChangeRequest.objects.get(pk=b_request.pk)
    assert fresh.message == "B's" and fresh.requested_plan.code == "enterprise"


@pytest.mark.parametrize("auth", ["api_key", "session"])
def test_another_merchants_object_answers_404_and_changes_nothing(auth, merchant, owner, client, b_request):
    if auth == "api_key":
        api = make_api_client(merchant, "staff")
    else:
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_login(owner)
    url = f"/api/v1/plan-requests/{b_request.pk}/"
    assert api.get("/api/v1/plan-requests/").json()["results"] == []
    assert api.get(url).status_code == 404
    assert api.patch(url, {"message": "hijacked"}, format="json").status_code == 404
    assert api.put(url, {"plan": "free", "message": "hijacked"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    _assert_b_untouched(b_request)


def test_viewer_key_cannot_write(merchant, viewer_api_client):
    response = viewer_api_client.post("/api/v1/plan-requests/", {"plan": "enterprise"}, format="json")
    assert response.status_code == 403
    with merchant_scope(merchant):
        assert PlanChangeRequest.objects.count() == 0
    assert viewer_api_client.get("/api/v1/plan-requests/").status_code == 200


def test_staff_key_writes_with_field_level_errors(merchant, api_client):
    bad = api_client.post("/api/v1/plan-requests/", {"plan": "platinum"}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()) == ["plan"]
    good = api_client.post("/api/v1/plan-requests/", {"plan": "enterprise", "message": "growing"}, format="json")
    assert good.status_code == 201
    assert good.json()["plan"] == "enterprise"


def test_a_bad_api_key_is_refused_with_401(db):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Api-Key nope.nothing")
    assert api.get("/api/v1/me").status_code == 401


def test_revoked_key_is_refused(merchant):
    from koongo.accounts.models import MerchantApiKey
    from koongo.accounts.services import api_key_revoke

    api = make_api_client(merchant, "staff")
    key = MerchantApiKey.objects.get(merchant=merchant)
    api_key_revoke(merchant=merchant, key_id=key.pk)
    assert api.get("/api/v1/me").status_code in (401, 403)
