"""Magento specifics: OAuth 1.0a or bearer auth on the wire, invoicing that makes credit memos possible, and the simulator's rules."""

import base64
import hashlib
import hmac
import time
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest

from koongo.http import AuthError, PermanentError
from koongo.sandbox_kit import SandboxError, wsgi_transport
from platforms.base import RefundLine, RefundRequest, StoreOrderRef
from platforms.magento2.adapter import Magento2Adapter
from platforms.magento2.sandbox import Magento2Sandbox
from platforms.oauth1 import parse_authorization
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.magento2.conftest import CREDENTIALS

EMPTY = {"items": [], "total_count": 0}


def _enc(value: str) -> str:
    return quote(value, safe="-._~")


def test_requests_are_signed_with_oauth_1a_hmac_sha256_over_the_url_and_its_query(store, adapter):
    adapter.client.http.auth.clock = lambda: 1778140800
    adapter.client.http.auth.nonce = lambda: "4f1c2a9b8e7d6c5b"
    store.on("GET", "/V1/orders", EMPTY)
    adapter.find_order_by_reference("miinto-7")
    request = store.calls[0].request
    oauth = parse_authorization(request.headers["Authorization"])
    # The RFC 5849 base string, built here by hand from the request as sent.
    params = {**dict(request.url.params), **{k: v for k, v in oauth.items() if k != "oauth_signature"}}
    normalized = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
    base = f"GET&{_enc('https://shop.nordkyst.example/rest/default/V1/orders')}&{_enc(normalized)}"
    expected = base64.b64encode(hmac.new(b"cs-nordkyst&ats-nordkyst", base.encode(), hashlib.sha256).digest()).decode()
    assert {k: v for k, v in oauth.items() if k != "oauth_signature"} == {
        "oauth_consumer_key": "ck-nordkyst", "oauth_nonce": "4f1c2a9b8e7d6c5b", "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": "1778140800", "oauth_token": "at-nordkyst", "oauth_version": "1.0"}
    assert oauth["oauth_signature"] == expected


def test_with_bearer_allowed_the_access_token_is_sent_alone(store):
    adapter = Magento2Adapter({**CREDENTIALS, "bearer": True})
    store.on("GET", "/V1/orders", EMPTY)
    adapter.find_order_by_reference("miinto-7")
    assert store.calls[0].request.headers["Authorization"] == "Bearer at-nordkyst"


@pytest.fixture
def sim():
    app = Magento2Sandbox(seed=5)
    app.seed_products(CATALOG)
    return app


def _adapter(app, **changes):
    return Magento2Adapter({**app.demo_credentials(), **changes}, transport=wsgi_transport(app))


def test_the_simulator_refuses_a_bearer_token_unless_the_store_allows_it(sim):
    with pytest.raises(AuthError, match="isn't authorized"):
        _adapter(sim, bearer=True).test_connection()
    sim.settings["bearer_allowed"] = True
    assert _adapter(sim, bearer=True).test_connection().name == "Koongo Demo Store View"


def test_the_simulator_refuses_a_replayed_nonce(sim):
    adapter = _adapter(sim)
    now = int(time.time())
    adapter.client.http.auth.nonce = lambda: "same-nonce"
    adapter.client.http.auth.clock = lambda: now
    adapter.find_order_by_reference("a")
    with pytest.raises(AuthError, match="nonce is already being used"):
        adapter.find_order_by_reference("b")


def test_every_created_order_is_invoiced_so_a_credit_memo_can_refund_it(sim):
    adapter = _adapter(sim)
    ref = adapter.create_order(make_draft("inv-1", "DKK"))
    [order] = sim.sales.orders.values()
    assert [(i["sku"], i["qty_invoiced"]) for i in order["items"]] == [("KNIT-NAVY-M", 1), ("TEE-WHITE-M", 2)]
    assert (order["state"], len(sim.sales.invoices)) == ("processing", 1)
    request = RefundRequest(key="rma-9", order=ref, lines=(RefundLine(sku="TEE-WHITE-M", quantity=2),), currency="DKK")
    refund = adapter.create_refund(request).refund
    assert (refund.total.amount, refund.origin_key) == (Decimal("45"), "rma-9")


def test_without_an_invoice_magento_creates_no_credit_memo(sim):
    adapter = _adapter(sim)
    ref = adapter.create_order(make_draft("inv-2", "DKK"))
    [order] = sim.sales.orders.values()
    order["total_invoiced"] = None
    for item in order["items"]:
        item["qty_invoiced"] = 0
    request = RefundRequest(key="rma-10", order=StoreOrderRef(id=ref.id), lines=(RefundLine(sku="TEE-WHITE-M", quantity=1),), currency="DKK")
    with pytest.raises(PermanentError, match="no invoiced, unrefunded line"):
        adapter.create_refund(request)
    with pytest.raises(SandboxError, match="We can't create creditmemo for the order"):
        sim.sales.refund(order, {"items": [{"order_item_id": order["items"][1]["item_id"], "qty": 1}]})


def test_a_comment_without_a_status_nulls_the_orders_status_as_magento_does(sim):
    adapter = _adapter(sim)
    ref = adapter.create_order(make_draft("note-1", "DKK"))
    client = httpx.Client(transport=wsgi_transport(sim), base_url="http://magento.sandbox/rest/default")
    sim.settings["bearer_allowed"] = True
    headers = {"Authorization": f"Bearer {sim.demo_credentials()['access_token']}"}
    client.post(f"/V1/orders/{ref.id}/comments", json={"statusHistory": {"comment": "no status"}}, headers=headers)
    assert sim.sales.order(ref.id)["status"] is None
    adapter.update_order_note(ref, "with status")
    assert sim.sales.order(ref.id)["status"] is None  # the adapter kept what it found, as it should: it never guesses a status


def test_the_input_limits_refuse_big_pages_and_long_lists(sim):
    sim.settings["bearer_allowed"] = True
    client = httpx.Client(transport=wsgi_transport(sim), base_url="http://magento.sandbox/rest/default")
    headers = {"Authorization": f"Bearer {sim.demo_credentials()['access_token']}"}
    page = client.get("/V1/products", params={"searchCriteria[pageSize]": "301"}, headers=headers)
    items = [{"sku": "CAP-BLACK", "source_code": "default", "quantity": 1, "status": 1}] * 21
    writes = client.post("/V1/inventory/source-items", json={"sourceItems": items}, headers=headers)
    assert (page.status_code, writes.status_code) == (400, 400)
    assert "Maximum items of type" in writes.json()["message"]


def test_a_shipment_moves_source_quantity_and_msi_compensates_a_reservation_the_raw_order_never_placed(sim):
    adapter = _adapter(sim)
    ref = adapter.create_order(make_draft("ship-9", "DKK"))
    assert sim.stock_of("KNIT-NAVY-M") == 10  # no reservation for a raw-saved order: the documented trade-off
    sim.make_shipment(ref.id, [{"sku": "KNIT-NAVY-M", "quantity": 1}], carrier="GLS", tracking_number="1")
    assert (sim.catalog.source_items["KNIT-NAVY-M"]["quantity"], sim.stock_of("KNIT-NAVY-M")) == (9, 10)
