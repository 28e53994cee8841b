"""The security suites' worlds: merchant A with at least one row behind every API collection, merchant B a stranger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.feed_access import FeedCredentials
from catalog.models import PriceExport, ProductListing
from connections import services
from connections.sync.problems import problem_raise
from koongo.accounts.tenancy import merchant_scope
from reconciliation.kinds import FindingKind
from reconciliation.models import Finding, ReconciliationRun, RunStatus, RunTrigger
from tests.catalog.conftest import pull
from tests.conftest import make_api_client
from tests.connections.conftest import connection, miinto_sim, scoped, shopify_sim, tested_store  # noqa: F401
from tests.factories import MembershipFactory
from tests.rma.conftest import GTIN_TEE_L, GTIN_TEE_M, build_world
from webhooks.event_types import EVENT_TYPES
from webhooks.services import endpoint_create


def populate(world) -> None:
    """Orders, a shipment, labels, a pending position, an RMA, a store refund, listings and prices, a problem, comments,
    a carrier mapping and a plan request for the world's merchant: something behind every collection of the API."""
    api = make_api_client(world.merchant, "staff")
    # A webhook endpoint for every event first, so what follows fills its delivery log.
    endpoint_create(merchant=world.merchant, url="http://127.0.0.1:9/hooks", event_types=list(EVENT_TYPES))
    shipped = world.sell((GTIN_TEE_M, 10000, 1), (GTIN_TEE_L, 10000, 1))
    world.run("labels")
    world.store.make_shipment(shipped.store_order_id, [{"sku": "TEE-BLK-M", "quantity": 1}], carrier="GLS", tracking_number="GLS-1")
    world.run("shipments")
    world.customer_return(shipped, {"TEE-BLK-L": 1})
    world.sync_rmas()
    world.refund_in_store(shipped, {"TEE-BLK-M": 1})
    world.sync_refunds()
    feed = api.post(f"/api/v1/catalog/connections/{world.connection.pk}/feed-credentials/")
    assert pull(Client(), FeedCredentials(**feed.json())).status_code == 200  # Miinto's pull records the listings
    with merchant_scope(world.merchant):
        listing = ProductListing.objects.order_by("pk").first()
        PriceExport.objects.create(merchant=world.merchant, listing=listing, retail_price=Decimal("100.00"), currency="DKK")
        services.order_configuration_update(configuration=world.connection.order_configuration, auto_accept=False)
    world.miinto.state.create_transfer(world.connection.shop_id, [{"gtin": GTIN_TEE_M, "price": 10000, "quantity": 1}])
    world.run("orders")
    problem_raise(merchant=world.merchant, kind="feed_rows_left_out", message="A product was left out of the feed",
                  fingerprint="security:1", connection=world.connection)
    assert api.post(f"/api/v1/orders/{shipped.pk}/comments/", {"body": "Packed"}, format="json").status_code == 201
    mapping = {"connection": world.connection.pk, "carrier": "PostNord", "provider_id": "gls-dk"}
    assert api.post("/api/v1/carrier-mappings/", mapping, format="json").status_code == 201
    assert api.post("/api/v1/plan-requests/", {"plan": "enterprise", "message": "more"}, format="json").status_code == 201
    # A reconciliation run with a finding, so the runs and their findings are probed too.
    with merchant_scope(world.merchant):
        now = timezone.now()
        run = ReconciliationRun.objects.create(
            merchant=world.merchant, connection=world.connection, period_start=now - timedelta(days=1), period_end=now,
            trigger=RunTrigger.API, status=RunStatus.DONE, findings_total=1)
        Finding.objects.create(merchant=world.merchant, run=run, connection=world.connection,
                               kind=FindingKind.STOCK_MISMATCH,
                               message="Stock differs", store_ref="TEE-BLK-M")
    # The team: an owner (members), an open invitation and an owner key (api-keys has the staff key already).
    MembershipFactory(merchant=world.merchant, user__username="owner@a-world.example", role="owner")
    owner_api = make_api_client(world.merchant, "owner")
    assert owner_api.post("/api/v1/members/", {"email": "invitee@a-world.example", "role": "staff"}, format="json").status_code == 201


@pytest.fixture
def populated(merchant):
    """Merchant A's populated world on Shopify, the simulators wired in-process while the test runs."""
    worlds = build_world(merchant, "shopify")
    world = next(worlds)
    populate(world)
    yield world
    worlds.close()


@pytest.fixture
def stranger(other_merchant):
    """Merchant B's owner, through an API key and through a session."""
    session = APIClient()
    session.force_login(MembershipFactory(merchant=other_merchant, user__username="owner@b.example", role="owner").user)
    return {"api_key": make_api_client(other_merchant, "staff"), "session": session}
