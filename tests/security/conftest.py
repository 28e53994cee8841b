"""The security suites' worlds: merchant A with at least one row behind every API collection, merchant B a stranger."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from django.test import Client
from rest_framework.test import APIClient

from catalog.feed_access import FeedCredentials
from catalog.models import PriceExport, ProductListing
from connections.problems import problem_raise
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import pull
from tests.conftest import make_api_client
from tests.connections.conftest import connection, miinto_sim, scoped, shopify_sim, tested_store  # noqa: F401
from tests.factories import MembershipFactory
from tests.orders.conftest import GTIN_TEE_L, GTIN_TEE_M, world  # noqa: F401
from tests.orders.shipping import accepted_order, run, ship_in_store


def _miinto_control(sim_world, method: str, path: str, body: dict) -> dict:
    with httpx.Client(transport=httpx.WSGITransport(app=sim_world.miinto), base_url="http://sim") as http:
        response = http.request(method, f"/_sandbox/{path}", json=body)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture
def populated(world):  # noqa: F811
    """Merchant A's world with orders, a shipped order, labels, a pending position, an RMA, a refund, problems,
    comments, carrier mappings and a plan request: something behind every collection of the API."""
    api = make_api_client(world.merchant, "staff")
    shipped = accepted_order(world, (GTIN_TEE_M, 10000, 1), (GTIN_TEE_L, 10000, 1))
    run(world, "labels")
    ship_in_store(world, shipped, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1")
    run(world, "shipments")
    lines = {line.sku: line.miinto_position_id for line in shipped.lines.all()}
    _miinto_control(world, "POST", "returns", {
        "shopId": world.connection.shop_id, "orderId": shipped.miinto_id,
        "positions": [{"orderPositionId": lines["TEE-BLK-L"], "quantity": 1}], "reason": "Too small", "customerComment": "",
    })
    run(world, "rma")
    world.shopify.make_refund(shipped.store_order_id, [{"sku": "TEE-BLK-M", "quantity": 1}], note="Refunded in the shop")
    run(world, "refunds")
    feed = api.post(f"/api/v1/catalog/connections/{world.connection.pk}/feed-credentials/")
    assert pull(Client(), FeedCredentials(**feed.json())).status_code == 200  # Miinto's pull records the listings
    run(world, "stock")
    with merchant_scope(world.merchant):
        listing = ProductListing.objects.order_by("pk").first()
        PriceExport.objects.create(merchant=world.merchant, listing=listing, retail_price=Decimal("100.00"), currency="DKK")
    world.configure(auto_accept=False)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    with merchant_scope(world.merchant):
        problem_raise(merchant=world.merchant, kind="feed_rows_left_out", message="A product was left out of the feed", fingerprint="sec:1",
                      connection=world.connection)
    assert api.post(f"/api/v1/orders/{shipped.pk}/comments/", {"body": "Packed"}, format="json").status_code == 201
    mapping = api.post("/api/v1/carrier-mappings/", {"connection": world.connection.pk, "carrier": "PostNord",
                                                     "provider_id": "gls-dk"}, format="json")
    assert mapping.status_code == 201, mapping.json()
    assert api.post("/api/v1/plan-requests/", {"plan": "enterprise", "message": "more"}, format="json").status_code == 201
    return world


@pytest.fixture
def stranger(other_merchant):
    """Merchant B's owner, through an API key and through a session."""
    session = APIClient()
    session.force_login(MembershipFactory(merchant=other_merchant, user__username="owner@b.example", role="owner").user)
    return {"api_key": make_api_client(other_merchant, "staff"), "session": session}
