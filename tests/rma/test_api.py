"""The RMA API: list and read, accept or decline with a reason (Idempotency-Key honoured), refunds, manual RMA requests;
another merchant's ids answer 404 and viewers are refused, and neither changes anything."""

import pytest

from rma.models import RefundPush, Rma, RmaDecisionPush, RmaRequestPush, StoreRefund
from tests.conftest import make_api_client
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_M


@pytest.fixture
def pending(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 2), (GTIN_JEANS, 50000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1}, reason="Too small")
    rma_world.sync_rmas()
    return order, Rma.objects.get()


def test_list_and_read_rmas_with_their_lines(rma_world, pending):
    order, rma = pending
    api = make_api_client(rma_world.merchant, "viewer")
    listed = api.get("/api/v1/rmas/").json()["results"]
    assert [(r["miinto_id"], r["status"], r["origin"], r["amount"], r["order"]) for r in listed] == [
        (rma.miinto_id, "pending", "customer", "100.00", order.pk)
    ]
    detail = api.get(f"/api/v1/rmas/{rma.pk}/").json()
    assert [(line["sku"], line["quantity"], line["amount"]) for line in detail["lines"]] == [("TEE-BLK-M", 1, "100.00")]
    assert (detail["reason"], detail["pending_decision"], detail["refund_push"]) == ("Too small", None, None)


def test_filters_on_status_origin_age_and_connection(rma_world, pending):
    _, rma = pending
    api = make_api_client(rma_world.merchant, "viewer")

    def ids(query):
        return [r["id"] for r in api.get(f"/api/v1/rmas/?{query}").json()["results"]]

    assert ids("status=pending") == [rma.pk] and ids("status=accepted") == []
    assert ids("origin=customer") == [rma.pk] and ids("origin=merchant") == []
    assert ids("age=1") == [rma.pk] and ids("age=older") == []
    assert ids(f"connection={rma_world.connection.pk}") == [rma.pk] and ids(f"connection={rma_world.connection.pk + 99}") == []
    assert api.get("/api/v1/rmas/?status=bogus").status_code == 400


def test_accept_in_the_api_with_an_idempotency_key_refunds_once(rma_world, pending, django_capture_on_commit_callbacks):
    order, rma = pending
    api = make_api_client(rma_world.merchant, "staff")
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs once the request has committed
        first = api.post(f"/api/v1/rmas/{rma.pk}/accept/", {"reason": "Received"}, format="json", HTTP_IDEMPOTENCY_KEY="rma-k-1")
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(f"/api/v1/rmas/{rma.pk}/accept/", {"reason": "Received"}, format="json", HTTP_IDEMPOTENCY_KEY="rma-k-1")
    assert first.status_code == second.status_code == 200, first.json()
    assert first.json() == second.json() and second.headers["Idempotent-Replay"] == "true"
    # The answer came at once, with the decision on its way; the push then told Miinto and refunded in the store.
    assert (first.json()["status"], first.json()["pending_decision"]["state"]) == ("pending", "pending")
    body = api.get(f"/api/v1/rmas/{rma.pk}/").json()
    assert (body["status"], body["decided_by"], body["decision_reason"]) == ("accepted", "merchant", "Received")
    assert body["actor"].startswith("api-key:") and body["refund_push"]["state"] == "done"
    assert len(rma_world.effects("returnDecisions")) == 1 and len(rma_world.store_refunds(order)) == 1


def test_decline_without_a_reason_is_a_field_error_and_sends_nothing(rma_world, pending, django_capture_on_commit_callbacks):
    _, rma = pending
    api = make_api_client(rma_world.merchant, "staff")
    for body in ({}, {"reason": ""}):
        response = api.post(f"/api/v1/rmas/{rma.pk}/decline/", body, format="json")
        assert response.status_code == 400 and response.json() == {"reason": ["A reason is required."]}
    assert not RmaDecisionPush.objects.exists() and rma_world.effects("returnDecisions") == []
    with django_capture_on_commit_callbacks(execute=True):
        ok = api.post(f"/api/v1/rmas/{rma.pk}/decline/", {"reason": "Worn"}, format="json")
    assert (ok.status_code, ok.json()["pending_decision"]["outcome"]) == (200, "declined")
    assert api.get(f"/api/v1/rmas/{rma.pk}/").json()["status"] == "declined"
    again = api.post(f"/api/v1/rmas/{rma.pk}/accept/", {"reason": "Changed my mind"}, format="json")
    assert again.status_code == 400 and "already declined" in again.json()["status"][0]


def test_viewers_are_refused_and_nothing_changes(rma_world, pending):
    order, rma = pending
    viewer = make_api_client(rma_world.merchant, "viewer")
    assert viewer.post(f"/api/v1/rmas/{rma.pk}/accept/", {"reason": "x"}, format="json").status_code == 403
    assert viewer.post(f"/api/v1/rmas/{rma.pk}/decline/", {"reason": "x"}, format="json").status_code == 403
    lines = [{"miinto_position_id": order.lines.first().miinto_position_id, "quantity": 1}]
    assert viewer.post(f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": lines}, format="json").status_code == 403
    assert not RmaDecisionPush.objects.exists() and not RmaRequestPush.objects.exists()
    assert rma_world.returns_calls()[-1]["method"] == "GET"


def test_another_merchant_gets_404_everywhere_and_changes_nothing(rma_world, pending, other_merchant):
    order, rma = pending
    rma_world.refund_in_store(order, {"JEANS-32": 1})
    rma_world.sync_refunds()
    refund = StoreRefund.objects.get()
    intruder = make_api_client(other_merchant, "staff")
    for url in ("/api/v1/rmas/", "/api/v1/refunds/"):
        assert intruder.get(url).json()["results"] == []
    assert intruder.get(f"/api/v1/rmas/{rma.pk}/").status_code == 404
    assert intruder.get(f"/api/v1/refunds/{refund.pk}/").status_code == 404
    assert intruder.post(f"/api/v1/rmas/{rma.pk}/accept/", {"reason": "x"}, format="json").status_code == 404
    assert intruder.post(f"/api/v1/rmas/{rma.pk}/decline/", {"reason": "x"}, format="json").status_code == 404
    lines = [{"miinto_position_id": order.lines.first().miinto_position_id, "quantity": 1}]
    assert intruder.get(f"/api/v1/orders/{order.pk}/rma-requests/").status_code == 404
    assert intruder.post(f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": lines}, format="json").status_code == 404
    rma.refresh_from_db()
    assert rma.status == "pending" and not RmaDecisionPush.objects.exists()
    assert RmaRequestPush.objects.count() == 1  # the store refund's own


def test_refunds_list_shows_ours_and_the_stores(rma_world, pending):
    order, rma = pending
    api = make_api_client(rma_world.merchant, "staff")
    api.post(f"/api/v1/rmas/{rma.pk}/accept/", {"reason": "ok"}, format="json")
    rma_world.refund_in_store(order, {"JEANS-32": 1})
    rma_world.sync_refunds()
    listed = api.get("/api/v1/refunds/").json()["results"]
    assert sorted((r["origin"], r["status"], r["total"]) for r in listed) == [("ours", "recorded", "100.00"), ("store", "requested", "500.00")]
    assert {r["origin"]: r["rma_miinto_id"] for r in listed}["ours"] == rma.miinto_id
    assert [r["origin"] for r in api.get("/api/v1/refunds/?origin=store").json()["results"]] == ["store"]


def test_a_manual_rma_request_in_the_api(rma_world, pending, django_capture_on_commit_callbacks):
    order, _ = pending
    api = make_api_client(rma_world.merchant, "staff")
    jeans = order.lines.get(sku="JEANS-32").miinto_position_id
    too_many = api.post(f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": [{"miinto_position_id": jeans, "quantity": 2}]}, format="json")
    assert too_many.status_code == 400 and "More than is left to return" in too_many.json()["lines"][0]
    unknown = api.post(f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": [{"miinto_position_id": 1, "quantity": 1}]}, format="json")
    assert unknown.status_code == 400 and "Not positions of Miinto order" in unknown.json()["lines"][0]
    assert api.post(f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": []}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(
            f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": [{"miinto_position_id": jeans, "quantity": 1}], "reason": "Returned to the shop"},
            format="json", HTTP_IDEMPOTENCY_KEY="req-1",
        )
    replay = api.post(
        f"/api/v1/orders/{order.pk}/rma-requests/", {"lines": [{"miinto_position_id": jeans, "quantity": 1}], "reason": "Returned to the shop"},
        format="json", HTTP_IDEMPOTENCY_KEY="req-1",
    )
    assert made.status_code == replay.status_code == 201 and made.json() == replay.json()
    assert made.json()["state"] == "pending"  # answered at once; the request's push ran after the commit
    [body] = api.get(f"/api/v1/orders/{order.pk}/rma-requests/").json()["results"]
    assert (body["state"], body["positions"][0]["quantity"], body["store_refund"]) == ("done", 1, None)
    [request] = rma_world.effects("rmaRequests")
    assert (request["id"], request["reason"]) == (body["rma_miinto_id"], "Returned to the shop")
    rma = Rma.objects.get(miinto_id=body["rma_miinto_id"])
    assert (rma.origin, rma.decided_by, rma.actor[:8]) == ("merchant", "merchant", "api-key:")
    assert RefundPush.objects.count() == 0
    assert [r["id"] for r in api.get(f"/api/v1/orders/{order.pk}/rma-requests/").json()["results"]] == [body["id"]]
