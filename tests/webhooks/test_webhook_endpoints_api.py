"""`/api/v1/webhook-endpoints/`: owners manage, members read, another merchant's ids answer 404, deliveries nested."""

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from koongo.accounts.models import Role
from tests.conftest import make_api_client
from tests.factories import MembershipFactory
from webhooks import services
from webhooks.event_types import EVENT_TYPES, ORDER_PUSHED, PROBLEM_OPENED
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

BASE = "/api/v1/webhook-endpoints/"


@pytest.fixture
def owner_api(owner):
    """An owner signed in (session): API keys carry the staff or viewer role, never owner."""
    api = APIClient()
    api.force_login(owner)
    return api


def _other_endpoint(other_merchant, receiver):
    with scopes_disabled():
        endpoint, _ = services.endpoint_create(merchant=other_merchant, url=receiver.url, event_types=[ORDER_PUSHED])
        delivery = emit(other_merchant.pk, ORDER_PUSHED, {"order_id": 1})[0]
    return endpoint, delivery


def test_an_owner_registers_an_endpoint_and_sees_its_secret_once(owner_api, receiver):
    response = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED, PROBLEM_OPENED], "description": "ERP"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["status"] == "active"
    assert body["event_types"] == [ORDER_PUSHED, PROBLEM_OPENED]
    listed = owner_api.get(BASE).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in owner_api.get(f"{BASE}{body['id']}/").json()


def test_field_level_errors(owner_api, receiver, settings):
    response = owner_api.post(BASE, {"url": receiver.url, "event_types": ["order.exploded"]}, format="json")
    assert response.status_code == 400 and "event_types" in response.json()
    response = owner_api.post(BASE, {"url": receiver.url, "event_types": []}, format="json")
    assert response.status_code == 400 and "event_types" in response.json()
    settings.ALLOW_PRIVATE_STORE_URLS = False
    response = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json")
    assert response.status_code == 400 and response.json()["url"] == ["The address must start with https://"]
    response = owner_api.post(BASE, {"url": "https://127.0.0.1:8443/hooks", "event_types": [ORDER_PUSHED]}, format="json")
    assert response.status_code == 400 and "non-public address" in response.json()["url"][0]
    with scopes_disabled():
        assert not WebhookEndpoint.objects.exists()


def test_staff_and_viewers_read_but_cannot_manage(merchant, owner_api, receiver):
    created = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json").json()
    staff_member = MembershipFactory(merchant=merchant, role=Role.STAFF).user
    staff_session = APIClient()
    staff_session.force_login(staff_member)
    for client in (make_api_client(merchant, "staff"), make_api_client(merchant, "viewer"), staff_session):
        assert client.get(BASE).status_code == 200
        assert client.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json").status_code == 403
        assert client.post(f"{BASE}{created['id']}/pause/").status_code == 403
        assert client.post(f"{BASE}{created['id']}/rotate-secret/", {}, format="json").status_code == 403
        assert client.delete(f"{BASE}{created['id']}/").status_code == 403
    assert APIClient().get(BASE).status_code in (401, 403)


def test_another_merchants_endpoint_and_deliveries_answer_404(owner_api, other_merchant, receiver):
    endpoint, delivery = _other_endpoint(other_merchant, receiver)
    routes = [
        ("get", f"{BASE}{endpoint.pk}/"),
        ("patch", f"{BASE}{endpoint.pk}/"),
        ("delete", f"{BASE}{endpoint.pk}/"),
        ("post", f"{BASE}{endpoint.pk}/pause/"),
        ("post", f"{BASE}{endpoint.pk}/resume/"),
        ("post", f"{BASE}{endpoint.pk}/test/"),
        ("post", f"{BASE}{endpoint.pk}/rotate-secret/"),
        ("get", f"{BASE}{endpoint.pk}/deliveries/"),
        ("get", f"{BASE}{endpoint.pk}/deliveries/{delivery.pk}/"),
        ("post", f"{BASE}{endpoint.pk}/deliveries/{delivery.pk}/resend/"),
    ]
    for method, url in routes:
        assert getattr(owner_api, method)(url, {}, format="json").status_code == 404, url
    assert owner_api.get(BASE).json()["results"] == []
    with scopes_disabled():
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).paused_at is None


def test_a_delivery_of_another_endpoint_is_not_reachable_through_mine(merchant, owner_api, other_merchant, receiver):
    mine = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json").json()
    _, theirs = _other_endpoint(other_merchant, receiver)
    assert owner_api.get(f"{BASE}{mine['id']}/deliveries/{theirs.pk}/").status_code == 404
    assert owner_api.post(f"{BASE}{mine['id']}/deliveries/{theirs.pk}/resend/").status_code == 404


def test_pause_resume_rotate_test_and_resend(owner_api, receiver, django_capture_on_commit_callbacks):
    created = owner_api.post(BASE, {"url": receiver.url, "event_types": list(EVENT_TYPES)}, format="json").json()
    url = f"{BASE}{created['id']}/"
    assert owner_api.post(f"{url}pause/").json()["status"] == "paused"
    assert owner_api.post(f"{url}resume/").json()["status"] == "active"
    rotated = owner_api.post(f"{url}rotate-secret/", {"overlap_hours": 6}, format="json").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["previous_secret_valid_until"] is not None
    assert owner_api.post(f"{url}rotate-secret/", {"overlap_hours": 500}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        test = owner_api.post(f"{url}test/")
    assert test.status_code == 202 and test.json()["event_type"] == "webhook.test"
    assert len(receiver.requests) == 1
    with django_capture_on_commit_callbacks(execute=True):
        resent = owner_api.post(f"{url}deliveries/{test.json()['id']}/resend/")
    assert resent.status_code == 202
    assert [r.headers["webhook-id"] for r in receiver.requests] == [test.json()["event_id"]] * 2
    detail = owner_api.get(f"{url}deliveries/{test.json()['id']}/").json()
    assert [a["response_status"] for a in detail["attempt_log"]] == [200, 200]
    assert all(a["latency_ms"] is not None and a["request_body"] for a in detail["attempt_log"])
    assert owner_api.patch(url, {"event_types": [PROBLEM_OPENED]}, format="json").json()["event_types"] == [PROBLEM_OPENED]
    assert owner_api.delete(url).status_code == 204


def test_deliveries_are_filtered_and_listed_in_constant_queries(merchant, owner_api, receiver, django_assert_max_num_queries):
    created = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED, PROBLEM_OPENED]}, format="json").json()
    with scopes_disabled():
        for n in range(12):
            emit(merchant.pk, ORDER_PUSHED if n % 2 else PROBLEM_OPENED, {"n": n}, object_key=f"order:{n}")
        WebhookDelivery.objects.filter(event_type=PROBLEM_OPENED).update(state="done")
    url = f"{BASE}{created['id']}/deliveries/"
    with django_assert_max_num_queries(12):
        page = owner_api.get(url).json()
    assert page["count"] == 12 if "count" in page else len(page["results"]) == 12
    pending = owner_api.get(url, {"state": "pending"}).json()["results"]
    assert {d["event_type"] for d in pending} == {ORDER_PUSHED} and len(pending) == 6
    typed = owner_api.get(url, {"event_type": PROBLEM_OPENED}).json()["results"]
    assert {d["state"] for d in typed} == {"done"} and typed[0]["payload"]["type"] == PROBLEM_OPENED
    with django_assert_max_num_queries(12):
        owner_api.get(BASE)


def test_event_types_and_the_schema_document_every_payload(owner_api):
    listed = owner_api.get(f"{BASE}event-types/").json()
    assert [e["type"] for e in listed] == list(EVENT_TYPES)
    schema = owner_api.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for name in ("WebhookEventOrderPushed", "WebhookEventConnectionStale", "WebhookEventReconciliationFinding", "WebhookEventWebhookTest"):
        assert name in components, name
    assert components["WebhookEventOrderPushed"]["properties"]["data"]
    assert "/api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/resend/" in schema["paths"]
    page = schema["paths"]["/api/v1/webhook-endpoints/{id}/deliveries/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["$ref"].endswith("/PaginatedWebhookDeliveryList")


def test_an_unknown_delivery_state_filter_is_a_field_error(owner_api, receiver):
    created = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json").json()
    response = owner_api.get(f"{BASE}{created['id']}/deliveries/", {"state": "exploded"})
    assert response.status_code == 400 and "state" in response.json()
