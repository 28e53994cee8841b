"""Hostile input to the API and the webhook receivers answers 400/413 with a JSON message, never a 500 or HTML."""

import json

import pytest
from django.test import override_settings
from django_scopes import scopes_disabled

from koongo.accounts.models import PlanChangeRequest
from koongo.json_input import MAX_DEPTH
from platforms.shopify.webhooks import sign

DEEP = "[" * 1_000 + "]" * 1_000
DEEP_OBJECT = '{"a":' * 1_000 + "1" + "}" * 1_000


def _plan_requests(merchant):
    with scopes_disabled():
        return PlanChangeRequest.objects.filter(merchant=merchant).count()


@pytest.mark.parametrize("body", [DEEP, f'{{"plan": {DEEP}}}', DEEP_OBJECT], ids=["array", "in-a-field", "object"])
def test_deep_json_answers_400_on_the_api(api_client, merchant, body):
    response = api_client.post("/api/v1/plan-requests/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f"JSON nested deeper than {MAX_DEPTH} levels is not accepted.", "code": "invalid_json"}
    assert _plan_requests(merchant) == 0


def test_deep_json_answers_400_on_a_detail_patch(api_client, connection):
    response = api_client.patch(f"/api/v1/miinto-connections/{connection.pk}/", f'{{"sync_interval_minutes": {DEEP}}}', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


def test_nesting_up_to_the_limit_still_parses(api_client, merchant):
    nested = "[" * (MAX_DEPTH - 1) + '"x"' + "]" * (MAX_DEPTH - 1)
    response = api_client.post("/api/v1/plan-requests/", f'{{"plan": "enterprise", "message": "m", "x": {nested}}}', content_type="application/json")
    assert response.status_code == 201, response.json()


def test_a_nul_character_answers_400_with_a_message(api_client, merchant):
    response = api_client.post("/api/v1/plan-requests/", {"plan": "a\u0000"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Strings may not contain NUL (\\u0000) characters.", "code": "invalid_json"}
    assert _plan_requests(merchant) == 0


def test_a_nul_in_a_query_or_form_value_answers_400(api_client, merchant):
    listed = api_client.get("/api/v1/orders/", {"q": "a\u0000b"})
    assert listed.status_code == 400 and listed.json()["code"] == "nul_character"
    posted = api_client.post("/api/v1/plan-requests/", "plan=a%00", content_type="application/x-www-form-urlencoded")
    assert posted.status_code == 400 and posted.json()["code"] == "nul_character"


def test_a_5_mb_body_answers_a_json_413(api_client, merchant):
    body = json.dumps({"plan": "enterprise", "message": "x" * (5 * 1024 * 1024)})
    response = api_client.post("/api/v1/plan-requests/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is over the limit of 2621440 bytes.", "code": "body_too_large"}
    assert _plan_requests(merchant) == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_the_limit_is_djangos_setting(api_client, merchant):
    response = api_client.post("/api/v1/plan-requests/", {"plan": "enterprise", "message": "x" * 2000}, format="json")
    assert response.status_code == 413 and "1000 bytes" in response.json()["detail"]


def _deliver(client, store, body: bytes, secret: str):
    return client.post(
        "/webhooks/shopify/", body, content_type="application/json",
        HTTP_X_SHOPIFY_HMAC_SHA256=sign(body, secret), HTTP_X_SHOPIFY_WEBHOOK_ID="deep-1", HTTP_X_SHOPIFY_TOPIC="refunds/create",
        HTTP_X_SHOPIFY_SHOP_DOMAIN=store.shop_url,
    )


def test_deep_or_nul_json_to_the_webhook_receiver_answers_400(client, tested_store, settings):
    deep = _deliver(client, tested_store, f'{{"id": 7, "order_id": {DEEP}}}'.encode(), settings.SHOPIFY_CLIENT_SECRET)
    assert deep.status_code == 400 and deep.json()["code"] == "invalid_json"
    nul = _deliver(client, tested_store, json.dumps({"id": 7, "note": "a\u0000"}).encode(), settings.SHOPIFY_CLIENT_SECRET)
    assert nul.status_code == 400 and "NUL" in nul.json()["detail"]


def test_a_5_mb_webhook_answers_a_json_413(client, tested_store, settings):
    body = json.dumps({"id": 7, "note": "x" * (5 * 1024 * 1024)}).encode()
    response = _deliver(client, tested_store, body, settings.SHOPIFY_CLIENT_SECRET)
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"
