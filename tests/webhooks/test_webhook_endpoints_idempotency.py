"""Idempotency-Key on every write of `/api/v1/webhook-endpoints/`: a retry replays the first answer and writes once;
the same key with another body answers 422; each merchant has its own keys; a shown-once secret is kept encrypted."""

import pytest
from django.db import connection
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from koongo.models import IdempotentResponse
from tests.factories import MembershipFactory
from webhooks import services
from webhooks.event_types import ORDER_PUSHED, PROBLEM_OPENED

BASE = "/api/v1/webhook-endpoints/"


def _owner_session(merchant, username):
    api = APIClient()
    api.force_login(MembershipFactory(merchant=merchant, user__username=username).user)
    return api


@pytest.fixture
def owner_api(owner):
    api = APIClient()
    api.force_login(owner)
    return api


@pytest.fixture
def made(owner_api, receiver, django_capture_on_commit_callbacks):
    """An endpoint of merchant A and a delivered test event, made without keys: the URLs the writes address."""
    endpoint = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = owner_api.post(f"{BASE}{endpoint['id']}/test/").json()
    return {"endpoint": f"{BASE}{endpoint['id']}/", "delivery": f"{BASE}{endpoint['id']}/deliveries/{delivery['id']}/"}


def _count_calls(monkeypatch, name):
    calls = []
    real = getattr(services, name)

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, name, counted)
    return calls


WRITES = [
    # (method, url under `made`, suffix, body, the service that writes, the answer's status)
    ("post", None, "", {"url": "RECEIVER", "event_types": [ORDER_PUSHED]}, "endpoint_create", 201),
    ("patch", "endpoint", "", {"description": "ERP"}, "endpoint_update", 200),
    ("delete", "endpoint", "", None, "endpoint_delete", 204),
    ("post", "endpoint", "rotate-secret/", {"overlap_hours": 1}, "endpoint_rotate_secret", 200),
    ("post", "endpoint", "pause/", None, "endpoint_pause", 200),
    ("post", "endpoint", "resume/", None, "endpoint_resume", 200),
    ("post", "endpoint", "test/", None, "endpoint_send_test", 202),
    ("post", "delivery", "resend/", None, "delivery_resend", 202),
]


@pytest.mark.parametrize(("method", "under", "suffix", "body", "service", "status"), WRITES, ids=[w[4] for w in WRITES])
def test_a_retry_with_the_same_key_replays_the_answer_and_writes_once(
    owner_api, made, receiver, monkeypatch, method, under, suffix, body, service, status
):
    url = (made[under] if under else BASE) + suffix
    if body and body.get("url") == "RECEIVER":
        body = {**body, "url": receiver.url}
    calls = _count_calls(monkeypatch, service)
    send = getattr(owner_api, method)

    first = send(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{service}")
    again = send(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{service}")

    assert first.status_code == again.status_code == status, first.content
    assert again.headers["Idempotent-Replay"] == "true" and "Idempotent-Replay" not in first.headers
    assert (again.json() == first.json()) if first.content else not again.content
    assert len(calls) == 1


def test_a_shown_once_secret_is_replayed_to_the_retry_but_kept_encrypted(owner_api, receiver):
    body = {"url": receiver.url, "event_types": [ORDER_PUSHED]}
    first = owner_api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1").json()
    again = owner_api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1").json()
    assert again["secret"] == first["secret"] and again["secret"].startswith("whsec_")
    with scopes_disabled():
        stored = IdempotentResponse.objects.get(key="create-1")
    assert stored.body is None and stored.sealed_body["secret"] == first["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_body FROM connections_idempotentresponse WHERE id = %s", [stored.pk])
        raw = cursor.fetchone()[0]
    assert first["secret"] not in raw


def test_the_same_key_with_another_body_answers_422_and_writes_nothing(owner_api, receiver):
    made = owner_api.post(BASE, {"url": receiver.url, "event_types": [ORDER_PUSHED]}, format="json", HTTP_IDEMPOTENCY_KEY="K")
    assert made.status_code == 201
    other = owner_api.post(BASE, {"url": receiver.url, "event_types": [PROBLEM_OPENED]}, format="json", HTTP_IDEMPOTENCY_KEY="K")
    assert other.status_code == 422
    assert other.json() == {
        "detail": f"This Idempotency-Key was already used for a different request (POST {BASE}). Send a new key for a new request.",
        "code": "idempotency_key_reused",
    }
    assert [e["id"] for e in owner_api.get(BASE).json()["results"]] == [made.json()["id"]]


def test_another_merchant_has_its_own_keys(merchant, other_merchant, owner_api, receiver):
    body = {"url": receiver.url, "event_types": [ORDER_PUSHED]}
    ours = owner_api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="shared").json()
    stranger = _owner_session(other_merchant, "owner@b.example")
    theirs = stranger.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 201 and "Idempotent-Replay" not in theirs.headers
    assert theirs.json()["id"] != ours["id"] and theirs.json()["secret"] != ours["secret"]
    assert [e["id"] for e in stranger.get(BASE).json()["results"]] == [theirs.json()["id"]]
    assert [e["id"] for e in owner_api.get(BASE).json()["results"]] == [ours["id"]]
