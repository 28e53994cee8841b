"""The BigCommerce simulator's platform-specific behaviour: lagging inventory reads, the shared quota, signed deliveries."""

import httpx
import pytest

from koongo.sandbox_kit import wsgi_transport
from platforms.base import StockChange, StockOutcome
from platforms.bigcommerce.adapter import BigCommerceAdapter
from platforms.bigcommerce.sandbox import BigCommerceSandbox
from tests.platforms.contract.catalog import CATALOG


@pytest.fixture
def sim():
    app = BigCommerceSandbox(seed=3)
    app.seed_products(CATALOG)
    return app


def _order(app, **fields):
    variant = app.store.variant_by_sku("KNIT-NAVY-S")
    line = {"product_id": variant.product_id, "variant_id": variant.id, "quantity": 1}
    return app.store.create_order({"billing_address": {"first_name": "A"}, "products": [line], **fields})


def _adapter(app, **options):
    return BigCommerceAdapter(app.demo_credentials(), transport=wsgi_transport(app), **options)


def test_inventory_reads_lag_behind_an_adjustment_until_bigcommerce_processes_it(sim):
    sim.settings["adjustment_lag_seconds"] = 60.0
    adapter = _adapter(sim)
    [result] = adapter.adjust_stock([StockChange(key="k1", sku="CAP-BLACK", delta=-2)])
    assert result.outcome == StockOutcome.APPLIED
    assert adapter.get_products(["CAP-BLACK"], "sku")[0].stock == 5  # not processed yet
    assert sim.stock_of("CAP-BLACK") == 3  # the merchant looks later, when it has been


def test_every_answer_carries_the_quota_and_a_spent_window_answers_429(sim):
    sim.quota.quota = 2
    client = httpx.Client(transport=wsgi_transport(sim), base_url="https://api.bigcommerce.com/stores/k00ng0demo")
    headers = {"X-Auth-Token": sim.demo_credentials()["access_token"]}
    first = client.get("/v2/store", headers=headers)
    assert (first.headers["X-Rate-Limit-Requests-Quota"], first.headers["X-Rate-Limit-Requests-Left"]) == ("2", "1")
    client.get("/v2/store", headers=headers)
    third = client.get("/v2/store", headers=headers)
    assert third.status_code == 429
    assert third.headers["X-Rate-Limit-Requests-Left"] == "0" and 0 < int(third.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 30000


def test_a_wrong_token_answers_in_each_versions_error_shape(sim):
    client = httpx.Client(transport=wsgi_transport(sim), base_url="https://api.bigcommerce.com/stores/k00ng0demo")
    v2, v3 = client.get("/v2/store", headers={"X-Auth-Token": "x"}), client.get("/v3/tax/settings", headers={"X-Auth-Token": "x"})
    assert (v2.status_code, v3.status_code) == (401, 401)
    assert isinstance(v2.json(), list) and v2.json()[0]["status"] == 401
    assert v3.json()["status"] == 401 and "title" in v3.json()


def test_a_refund_with_a_wrong_amount_is_refused_like_bigcommerce_refuses_it(sim):
    order = _order(sim)
    client = httpx.Client(transport=wsgi_transport(sim), base_url="https://api.bigcommerce.com/stores/k00ng0demo")
    body = {"items": [{"item_type": "PRODUCT", "item_id": order.lines[0].id, "quantity": 1}],
            "payments": [{"provider_id": "custom", "amount": 1.0, "offline": True}]}
    answer = client.post(f"/v3/orders/{order.id}/payment_actions/refunds", json=body, headers={"X-Auth-Token": sim.demo_credentials()["access_token"]})
    assert answer.status_code == 422
    assert "does not match" in answer.json()["title"]


def test_the_merchants_shipment_is_announced_by_a_delivery_the_adapter_verifies(sim):
    adapter = _adapter(sim)
    order = _order(sim, external_order_id="k")
    shipment_id = sim.make_shipment(str(order.id), [{"sku": "KNIT-NAVY-S", "quantity": 1}], carrier="GLS", tracking_number="123")
    delivery = sim.webhook_deliveries()[-1]
    event = adapter.verify_webhook(delivery["headers"], delivery["body"].encode())
    assert (event.topic, event.order_id, event.object_id) == ("store/shipment/created", str(order.id), shipment_id)
