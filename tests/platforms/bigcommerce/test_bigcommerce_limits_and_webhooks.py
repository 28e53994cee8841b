"""BigCommerce specifics: the shared quota and 429 Time-Reset-Ms, Standard Webhooks deliveries, and refunds one at a time per order."""

import json
import threading
import time

import httpx
import pytest
import respx

from koongo.http import RateLimited
from platforms import standard_webhooks
from platforms.base import (
    RefundLine,
    RefundRequest,
    StockChange,
    StockOutcome,
    StoreOrderRef,
    WebhookEvent,
    WebhookKind,
    WebhookRejected,
)
from platforms.bigcommerce.adapter import BigCommerceAdapter
from tests.platforms.bigcommerce.conftest import SECRET, STORE, fixture

THROTTLED = {"status": 429, "title": "Too many requests", "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}


def _quota(left: int, reset_ms: int) -> dict:
    return {"X-Rate-Limit-Time-Window-Ms": "30000", "X-Rate-Limit-Time-Reset-Ms": str(reset_ms), "X-Rate-Limit-Requests-Quota": "150",
            "X-Rate-Limit-Requests-Left": str(left)}


def test_a_429_is_slept_out_for_time_reset_ms_and_even_a_post_is_sent_again(store, adapter):
    store.answers["POST /v3/inventory/adjustments/relative"] = [
        httpx.Response(429, json=THROTTLED, headers=_quota(0, 1500)), httpx.Response(200, json={"transaction_id": "t"}, headers=_quota(149, 29000))]
    [result] = adapter.adjust_stock([StockChange(key="k", sku="A", delta=1)])
    assert result.outcome == StockOutcome.APPLIED
    assert adapter.sleeps == [1.5]
    assert [call.request.method for call in store.calls] == ["POST", "POST"]


def test_a_long_reset_surfaces_as_rate_limited_without_blocking(store, adapter):
    store.on("GET", "/v2/store", THROTTLED, status=429, headers=_quota(0, 24000))
    with pytest.raises(RateLimited) as raised:
        adapter.test_connection()
    assert (raised.value.retry_after, adapter.sleeps) == (24.0, [])


def test_a_429_without_quota_headers_is_platform_load_and_honours_retry_after(store, adapter):
    store.answers["GET /v2/orders"] = [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(204)]
    assert adapter.find_order_by_reference("x") is None
    assert adapter.sleeps == [2.0]


def test_when_the_window_is_spent_the_next_call_waits_for_the_reset_first():
    clock = [100.0]
    sleeps = []
    adapter = BigCommerceAdapter({"store_hash": STORE, "access_token": "t"}, sleep=sleeps.append)
    adapter.client.clock = lambda: clock[0]
    answers = [httpx.Response(204, headers=_quota(0, 3000)), httpx.Response(204, headers=_quota(149, 30000)),
               httpx.Response(204, headers=_quota(0, 9000)), httpx.Response(204, headers=_quota(149, 30000))]
    with respx.mock() as router:
        router.get(f"https://api.bigcommerce.com/stores/{STORE}/v2/orders").mock(side_effect=answers)
        adapter.find_order_by_reference("a")
        clock[0] += 1.0
        adapter.find_order_by_reference("b")
        assert sleeps == [2.0]
        adapter.find_order_by_reference("c")
        with pytest.raises(RateLimited) as raised:
            adapter.find_order_by_reference("d")
    assert raised.value.retry_after == 9.0


# --- webhooks ------------------------------------------------------------------------------------


def _delivery(body: dict | None = None, *, secret: str = SECRET, at: int | None = None, message_id: str = "msg_2hfz3K9") -> tuple[dict, bytes]:
    raw = json.dumps(body or fixture("webhook_refund_created")).encode()
    at = int(time.time()) if at is None else at
    headers = {"Webhook-Id": message_id, "Webhook-Timestamp": str(at),
               "Webhook-Signature": standard_webhooks.sign(secret.encode(), message_id, at, raw), "Content-Type": "application/json"}
    return headers, raw


def test_a_signed_refund_delivery_becomes_an_event_naming_order_and_refund(adapter):
    headers, body = _delivery()
    event = adapter.verify_webhook(headers, body)
    assert event == WebhookEvent(
        platform="bigcommerce", kind=WebhookKind.REFUND_CREATED, topic="store/order/refund/created", delivery_id="msg_2hfz3K9",
        shop=STORE, order_id="250", object_id="3", payload=json.loads(body),
    )


def test_a_tampered_body_is_rejected(adapter):
    headers, body = _delivery()
    with pytest.raises(WebhookRejected, match="does not match"):
        adapter.verify_webhook(headers, body.replace(b'"refund_id": 3', b'"refund_id": 4'))


def test_a_delivery_signed_with_another_secret_is_rejected(adapter):
    headers, body = _delivery(secret="someone-elses-secret")
    with pytest.raises(WebhookRejected, match="does not match"):
        adapter.verify_webhook(headers, body)


def test_an_old_timestamp_is_rejected_even_with_a_good_signature(adapter):
    headers, body = _delivery(at=int(time.time()) - 301)
    with pytest.raises(WebhookRejected, match="more than the 300 s tolerated"):
        adapter.verify_webhook(headers, body)


def test_a_delivery_for_another_store_is_rejected(adapter):
    payload = {**fixture("webhook_refund_created"), "producer": "stores/other99"}
    headers, body = _delivery(payload)
    with pytest.raises(WebhookRejected, match="not store abc123"):
        adapter.verify_webhook(headers, body)


def test_without_a_client_secret_webhooks_cannot_be_verified():
    adapter = BigCommerceAdapter({"store_hash": STORE, "access_token": "t"})
    headers, body = _delivery()
    with pytest.raises(WebhookRejected, match="no BigCommerce client secret"):
        adapter.verify_webhook(headers, body)


def test_shipment_deliveries_name_the_order():
    adapter = BigCommerceAdapter({"store_hash": STORE, "access_token": "t", "client_secret": SECRET})
    payload = {"scope": "store/shipment/created", "store_id": "1025646", "producer": f"stores/{STORE}",
               "data": {"type": "shipment", "id": 12, "orderId": 250}, "hash": "5f2b", "created_at": 1561479923}
    event = adapter.verify_webhook(*_delivery(payload))
    assert (event.kind, event.order_id, event.object_id) == (WebhookKind.SHIPMENT_CHANGED, "250", "12")


# --- refunds one at a time per order -------------------------------------------------------------


def test_a_refund_waits_while_another_worker_holds_the_orders_refund_lock(store, adapter):
    store.on("GET", "/v3/orders/118/payment_actions/refunds", "refunds")
    store.on("GET", "/v2/orders/118", "order").on("GET", "/v2/orders/118/products", "order_products")
    request = RefundRequest(key="rma-1", order=StoreOrderRef(id="118"), lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),),
                            currency="DKK", restock=False)
    released = threading.Event()
    holding = threading.Event()

    def other_worker():
        with adapter.locks.wait_for(f"refund:bigcommerce:{STORE}:118", ttl=10, timeout=5):
            holding.set()
            time.sleep(0.2)
            released.set()

    thread = threading.Thread(target=other_worker)
    thread.start()
    holding.wait(2)
    adapter.create_refund(request)
    # Without the lock the refund would have finished well inside the other worker's 0.2 s.
    assert released.is_set()
    assert store.calls
    thread.join()
