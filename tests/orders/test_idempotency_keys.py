"""Idempotency-Key is bound to one request (merchant, method, path, body): a different request answers 422, a
concurrent twin 409, a retry the first answer."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from koongo.models import IdempotentResponse
from orders import api as orders_api
from orders.models import Position, PositionStatus
from tests.conftest import make_api_client
from tests.orders.conftest import GTIN_TEE_M


def _two_pending(world):
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_TEE_M, 9000, 1))
    world.sync()
    with scopes_disabled():
        return list(Position.objects.order_by("pk"))


def _status(position):
    with scopes_disabled():
        return Position.objects.get(pk=position.pk).status


def test_the_same_key_on_another_position_answers_422_and_decides_nothing(world):
    first, second = _two_pending(world)
    api = make_api_client(world.merchant, "staff")
    accepted = api.post(f"/api/v1/positions/{first.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="K")
    assert accepted.status_code == 200
    decisions_before = list(world.decisions_on_miinto())

    wrong = api.post(f"/api/v1/positions/{second.pk}/decline/", {}, format="json", HTTP_IDEMPOTENCY_KEY="K")

    assert wrong.status_code == 422
    assert "Idempotent-Replay" not in wrong.headers
    assert wrong.json() == {
        "detail": f"This Idempotency-Key was already used for a different request (POST /api/v1/positions/{first.pk}/accept/). "
        "Send a new key for a new request.",
        "code": "idempotency_key_reused",
    }
    assert _status(second) == PositionStatus.PENDING
    assert world.decisions_on_miinto() == decisions_before


def test_the_same_key_with_another_body_answers_422(world):
    first, _ = _two_pending(world)
    api = make_api_client(world.merchant, "staff")
    assert api.post(f"/api/v1/positions/{first.pk}/accept/", {"reason": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="K2").status_code == 200
    other = api.post(f"/api/v1/positions/{first.pk}/accept/", {"reason": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="K2")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_a_retry_replays_the_first_answer_even_with_keys_reordered(world, django_capture_on_commit_callbacks):
    first, _ = _two_pending(world)
    api = make_api_client(world.merchant, "staff")
    url = f"/api/v1/positions/{first.pk}/accept/"
    # The decision's push runs once its transaction commits, as a worker would run it.
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(url, '{"reason": "ok", "x": 1}', content_type="application/json", HTTP_IDEMPOTENCY_KEY="K3")
        again = api.post(url, '{"x": 1,  "reason": "ok"}', content_type="application/json", HTTP_IDEMPOTENCY_KEY="K3")
    assert made.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replay"] == "true" and again.json() == made.json()
    assert len(world.decisions_on_miinto()) == 1


def test_a_second_request_while_the_first_runs_answers_409(world, monkeypatch, django_capture_on_commit_callbacks):
    first, _ = _two_pending(world)
    api = make_api_client(world.merchant, "staff")
    url = f"/api/v1/positions/{first.pk}/accept/"
    during = {}
    real_decide = orders_api.positions_decide

    def decide_while_a_twin_arrives(**kwargs):
        during["twin"] = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="K4")
        return real_decide(**kwargs)

    monkeypatch.setattr(orders_api, "positions_decide", decide_while_a_twin_arrives)
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="K4")

    assert made.status_code == 200
    assert during["twin"].status_code == 409
    assert during["twin"].json() == {
        "detail": "A request with this Idempotency-Key is still being processed. Retry once it has answered.",
        "code": "idempotency_key_in_use",
    }
    assert len(world.decisions_on_miinto()) == 1


def test_a_refused_request_releases_its_key_for_the_corrected_one(world):
    first, _ = _two_pending(world)
    api = make_api_client(world.merchant, "staff")
    url = f"/api/v1/positions/{first.pk}/accept/"
    refused = api.post(url, {"reason": "x" * 10_000}, format="json", HTTP_IDEMPOTENCY_KEY="K5")
    assert refused.status_code == 400
    with scopes_disabled():
        assert not IdempotentResponse.objects.filter(key="K5").exists()
    assert api.post(url, {"reason": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="K5").status_code == 200


def test_keys_are_per_merchant_and_expire_after_a_day(world, other_merchant):
    first, second = _two_pending(world)
    api = make_api_client(world.merchant, "staff")
    assert api.post(f"/api/v1/positions/{first.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="K6").status_code == 200
    stranger = make_api_client(other_merchant, "staff")
    assert stranger.post(f"/api/v1/positions/{second.pk}/decline/", {}, format="json", HTTP_IDEMPOTENCY_KEY="K6").status_code == 404
    with scopes_disabled():  # a day and an hour later; travelling the clock instead left later tests rate-limited
        IdempotentResponse.objects.filter(key="K6").update(created_at=timezone.now() - timedelta(hours=25))
    later = api.post(f"/api/v1/positions/{second.pk}/decline/", {}, format="json", HTTP_IDEMPOTENCY_KEY="K6")
    assert later.status_code == 200 and "Idempotent-Replay" not in later.headers
    assert _status(second) == PositionStatus.DECLINED
