"""Store webhooks bring the refunds run forward: verified, deduplicated, and only ever for the store they name."""

import json
import time
import uuid

import pytest

from connections.models import ActivityEntry, ConnectionStatus, MiintoConnection, OrderConfiguration, StoreConnection, SyncRun
from connections.sync.runs import sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from platforms import standard_webhooks
from rma.models import RmaRequestPush, StoreRefund
from tests.rma.conftest import GTIN_TEE_M, build_world


def _refund_delivery(world, order) -> dict:
    world.refund_in_store(order, {"TEE-BLK-M": 1})
    return next(d for d in reversed(world.store.webhook_deliveries()) if d["kind"] == "refund_created")


def _post(client, url, delivery, body=None):
    return client.post(url, data=body if body is not None else delivery["body"], content_type="application/json", headers=delivery["headers"])


def _refund_runs(merchant):
    with merchant_scope(merchant):
        return list(SyncRun.objects.filter(flow="refunds").order_by("pk"))


@pytest.fixture
def shopify_world(rma_world):
    StoreConnection.objects.filter(pk=rma_world.connection.store_connection_id).update(shop_url=rma_world.store.shop().domain)
    return rma_world


def test_a_shopify_refund_webhook_runs_the_refunds_flow_and_a_replay_is_deduped(shopify_world, client):
    world = shopify_world
    order = world.sell((GTIN_TEE_M, 10000, 1))
    delivery = _refund_delivery(world, order)
    assert _post(client, "/webhooks/shopify/", delivery).status_code == 200
    [run] = _refund_runs(world.merchant)
    assert run.status == "queued"
    with merchant_scope(world.merchant):
        sync_run_execute(run)
    assert len(world.effects("rmaRequests")) == 1 and RmaRequestPush.objects.count() == 1
    assert _post(client, "/webhooks/shopify/", delivery).status_code == 200  # the same delivery again
    assert [r.pk for r in _refund_runs(world.merchant)] == [run.pk]
    assert ActivityEntry.objects.filter(operation="webhook refunds/create").count() == 1


def test_a_tampered_shopify_body_answers_401_and_changes_nothing(shopify_world, client):
    world = shopify_world
    order = world.sell((GTIN_TEE_M, 10000, 1))
    delivery = _refund_delivery(world, order)
    tampered = delivery["body"].replace('"quantity": 1', '"quantity": 9')
    assert tampered != delivery["body"]
    assert _post(client, "/webhooks/shopify/", delivery, body=tampered).status_code == 401
    assert _refund_runs(world.merchant) == []
    assert not ActivityEntry.objects.filter(operation__startswith="webhook").exists()
    assert StoreRefund.objects.count() == 0


def test_a_shopify_webhook_for_a_domain_not_connected_is_refused(shopify_world, client):
    world = shopify_world
    order = world.sell((GTIN_TEE_M, 10000, 1))
    delivery = _refund_delivery(world, order)
    headers = {**delivery["headers"], "X-Shopify-Shop-Domain": "not-connected.myshopify.com"}
    assert _post(client, "/webhooks/shopify/", {**delivery, "headers": headers}).status_code == 404
    assert _refund_runs(world.merchant) == []


def test_a_shopify_domain_of_another_merchant_only_touches_that_merchant(shopify_world, other_merchant, client):
    world = shopify_world
    order = world.sell((GTIN_TEE_M, 10000, 1))
    delivery = _refund_delivery(world, order)
    # Merchant B connected a different shop; its delivery names B's domain and is signed with B's app secret.
    with merchant_scope(other_merchant):
        store_b = StoreConnection.objects.create(
            merchant=other_merchant, platform="shopify", name="B", shop_url="b-shop.myshopify.com",
            credentials={**world.connection.store_connection.credentials, "shop_domain": "b-shop.myshopify.com"},
        )
        connection_b = MiintoConnection.objects.create(
            merchant=other_merchant, username="b", password="x", channel_id="", channel_token="", shop_id=world.connection.shop_id,
            market="DK", currency="DKK", store_connection=store_b, status=ConnectionStatus.ACTIVE,
        )
        OrderConfiguration.objects.create(merchant=other_merchant, connection=connection_b)
    headers = {**delivery["headers"], "X-Shopify-Shop-Domain": "b-shop.myshopify.com"}
    assert _post(client, "/webhooks/shopify/", {**delivery, "headers": headers}).status_code == 200
    assert _refund_runs(world.merchant) == []
    assert [run.connection.store_connection_id for run in _refund_runs(other_merchant)] == [store_b.pk]


@pytest.fixture
def bigcommerce_world(merchant):
    yield from build_world(merchant, "bigcommerce")


def _bigcommerce_delivery(store_hash: str, secret: str) -> dict:
    created = int(time.time())
    body = json.dumps({"scope": "store/order/refund/created", "store_id": "1001", "data": {"type": "order", "id": 1, "refund": {"refund_id": 7}},
                       "hash": uuid.uuid4().hex, "created_at": created, "producer": f"stores/{store_hash}"})
    message_id = str(uuid.uuid4())
    headers = {"webhook-id": message_id, "webhook-timestamp": str(created),
               "webhook-signature": standard_webhooks.sign(secret.encode(), message_id, created, body.encode())}
    return {"headers": headers, "body": body}


def test_a_bigcommerce_webhook_signed_with_another_stores_secret_is_rejected(bigcommerce_world, client):
    world = bigcommerce_world
    store = world.connection.store_connection
    genuine = _bigcommerce_delivery(store.credentials["store_hash"], store.credentials["client_secret"])
    forged = _bigcommerce_delivery(store.credentials["store_hash"], "merchant-b-client-secret")
    assert _post(client, f"/webhooks/bigcommerce/{store.pk}/", forged).status_code == 401
    assert _refund_runs(world.merchant) == []
    assert _post(client, f"/webhooks/bigcommerce/{store.pk}/", genuine).status_code == 200
    assert len(_refund_runs(world.merchant)) == 1


def test_a_bigcommerce_webhook_for_an_unknown_store_connection_is_404(bigcommerce_world, client):
    store = bigcommerce_world.connection.store_connection
    delivery = _bigcommerce_delivery(store.credentials["store_hash"], store.credentials["client_secret"])
    assert _post(client, f"/webhooks/bigcommerce/{store.pk + 1000}/", delivery).status_code == 404
    assert _refund_runs(bigcommerce_world.merchant) == []
