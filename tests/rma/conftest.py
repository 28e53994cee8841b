"""An RMA world on any store platform: Miinto and the store's simulator in-process, an active DK connection, a catalog,
and helpers to sell, return, refund in the store, and run the rma and refunds flows as a worker would.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from django.conf import settings

from catalog.services import catalog_refresh
from connections import clients, services
from connections.models import MiintoConnection, SyncRun
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import FaultyTransport, PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator
from platforms import registry

USER, PASSWORD = "rma@nordic.example", "pw-rma"
DK_SHOP, CN_SHOP = "1-m!i!s-045-4001", "1-m!i!s-086-4003"
# gtin, sku, price incl. tax, stock
CATALOG = [
    ("5701234100011", "TEE-BLK-M", "100.00", 10),
    ("5701234100028", "TEE-BLK-L", "100.00", 10),
    ("5701234100035", "JEANS-32", "500.00", 10),
]
GTIN_TEE_M, GTIN_TEE_L, GTIN_JEANS = (row[0] for row in CATALOG)
SKUS = {gtin: sku for gtin, sku, _, _ in CATALOG}
SELECTED_PLATFORMS = registry.codes()


@dataclass
class RmaWorld:
    merchant: object
    connection: MiintoConnection
    miinto: MiintoSimulator
    store: object
    platform: str
    miinto_transport: FaultyTransport
    store_transport: FaultyTransport

    # --- Miinto's side -------------------------------------------------------------------------------
    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        """The Miinto simulator's control API, through its own transport so scripted faults never hit it."""
        with httpx.Client(transport=httpx.WSGITransport(app=self.miinto), base_url="http://sim") as http:
            response = http.request(method, f"/_sandbox/{path}", json=body)
            assert response.status_code < 300, response.text
            return response.json()

    def sell(self, *lines: tuple[str, int, int]):
        """An order of (gtin, unit price in minor units, quantity), auto-accepted and put in the store."""
        from orders.models import Order

        with merchant_scope(self.merchant):
            services.order_configuration_update(configuration=self.connection.order_configuration, auto_accept=True)
        self.miinto.state.create_transfer(self.connection.shop_id, [{"gtin": g, "price": p, "quantity": q} for g, p, q in lines])
        before = set(Order.objects.values_list("pk", flat=True))
        self.run("orders")
        order = Order.objects.exclude(pk__in=before).get()
        assert order.store_order_id, "the order did not reach the store"
        return order

    def customer_return(self, order, quantities: dict[str, int], reason: str = "Too small", comment: str = "") -> int:
        """The buyer opens a return in Miinto for {sku: quantity} of the order; returns its Miinto id."""
        by_sku = {line.sku: line.miinto_position_id for line in order.lines.all()}
        positions = [{"orderPositionId": by_sku[sku], "quantity": quantity} for sku, quantity in quantities.items()]
        created = self.control(
            "POST",
            "returns",
            {"shopId": self.connection.shop_id, "orderId": order.miinto_id, "positions": positions, "reason": reason,
             "customerComment": comment},
        )
        return created["id"]

    def decide_in_miinto(self, return_id: int, status: str, reason: str = "") -> dict:
        return self.control("POST", f"returns/{return_id}/decide", {"status": status, "reason": reason})

    def effects(self, kind: str) -> list:
        return self.miinto.state.effects[kind]

    def returns_calls(self) -> list[dict]:
        return [r for r in self.miinto.requests if "/returns" in r["path"]]

    # --- the store's side ----------------------------------------------------------------------------
    def refund_in_store(self, order, quantities: dict[str, int], note: str = "Returned in the shop") -> str:
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]
        return self.store.make_refund(order.store_order_id, lines, note=note)

    def store_refunds(self, order) -> list[dict]:
        return self.store.refunds_summary(order.store_order_id)

    def store_refund_records(self, order) -> list:
        """The order's refunds as the store reports them through the adapter (amounts included)."""
        from datetime import timedelta

        with clients.store_adapter(self.connection.store_connection) as adapter:
            since = order.created_at - timedelta(days=1)
            return [r for r in adapter.refunds_since(since) if r.order.id == order.store_order_id]

    # --- running flows as a worker does --------------------------------------------------------------
    def run(self, flow: str) -> SyncRun:
        """Request and execute a run, then what the outbox tasks would do next: run the connection's due pushes."""
        from connections.sync.outbox import outbox_execute
        from connections.sync.runs import sync_request, sync_run_execute
        from orders.models import DecisionPush, StorePush

        with merchant_scope(self.merchant):
            self.connection.refresh_from_db()
            run = sync_request(connection=self.connection, flow=flow, trigger="button")
            sync_run_execute(run)
            for model in (DecisionPush, StorePush):  # decisions first: they fetch the orders the store pushes need
                for pk in model.objects.filter(connection=self.connection, state__in=["pending", "failed"]).values_list("pk", flat=True):
                    outbox_execute(model._meta.label_lower, pk)
            return SyncRun.objects.get(pk=run.pk)

    def sync_rmas(self) -> SyncRun:
        return self.run("rma")

    def sync_refunds(self) -> SyncRun:
        return self.run("refunds")


def seed_store(store, rows=CATALOG):
    store.seed_products([
        {"gtin": gtin, "sku": sku, "title": f"Product {sku}", "brand": "Nordic", "color": "Black", "size": sku.split("-")[-1],
         "price": Decimal(price), "stock": stock}
        for gtin, sku, price, stock in rows
    ])


def _store_connection(merchant, platform: str, credentials: dict):
    """The store connection, saved as `store_connection_create` does but JSON-safe: that service keeps Decimal credential
    values (BigCommerce's and Magento's VAT rate), which the encrypted JSON field cannot serialise (reported to the lead)."""
    import json

    from connections.models import StoreConnection

    model = services.credentials_validate(platform, credentials)
    stored = json.loads(json.dumps(services.credentials_for_storage(model), default=str))
    return StoreConnection.objects.create(merchant=merchant, platform=platform, name="Shop", credentials=stored)


def build_world(merchant, platform: str, *, shop_id: str = DK_SHOP, seed: int = 7, catalog: list[dict] | None = None):
    """A generator of one world: use with `yield from` in a fixture, so the transports stay wired while the test runs.

    `catalog` (catalog item dicts, as the simulators' `seed_products` take them) replaces the three-item CATALOG."""
    miinto = MiintoSimulator(seed=seed)
    miinto.state.add_account(USER, PASSWORD, [
        {"market": "DK", "name": "Nordic DK", "localId": 4001},
        {"market": "CN", "name": "Nordic CN", "localId": 4003},
    ])
    store = registry.sandbox_class(platform)(seed)
    if catalog is None:
        seed_store(store)
    else:
        store.seed_products(catalog)
    miinto_transport = wsgi_transport(miinto)
    store_transport = wsgi_transport(PrefixMount({platform: store}))
    credentials = store.demo_credentials(base_url=f"{settings.STORE_SIMULATOR_URL}/{platform}")
    with clients.use_transport("miinto", miinto_transport), clients.use_transport(platform, store_transport), merchant_scope(merchant):
        store_connection = _store_connection(merchant, platform, credentials)
        services.store_connection_test(store_connection=store_connection)
        with clients.store_adapter(store_connection) as adapter:
            catalog_refresh(store_connection, adapter)
        connection = services.miinto_connection_create(
            merchant=merchant, environment="simulator", username=USER, password=PASSWORD, shop_id=shop_id,
            store_connection=store_connection, activate=True,
        )
        yield RmaWorld(merchant, connection, miinto, store, platform, miinto_transport, store_transport)


@pytest.fixture
def rma_world(merchant):
    """The RMA world on Shopify."""
    yield from build_world(merchant, "shopify")


@pytest.fixture(params=SELECTED_PLATFORMS)
def platform_world(request, merchant):
    """The RMA world on each installed store platform."""
    yield from build_world(merchant, request.param)
