"""An order-sync world: Miinto and Shopify simulators in-process, an active connection, and a refreshed catalog."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from catalog.services import catalog_refresh
from connections import clients, services
from connections.models import MiintoConnection
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import FaultyTransport, PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator
from tests.connections.conftest import shopify_credentials

USER, PASSWORD = "orders@nordic.example", "pw-orders"
DK_SHOP, SE_SHOP = "1-m!i!s-045-3001", "1-m!i!s-046-3002"
# gtin, sku, price, compare-at price, stock
CATALOG = [
    ("5701234000011", "TEE-BLK-M", "100.00", None, 5),
    ("5701234000028", "TEE-BLK-L", "100.00", "200.00", 1),
    ("5701234000035", "JEANS-32", "500.00", None, 0),
]
GTIN_TEE_M, GTIN_TEE_L, GTIN_JEANS = (row[0] for row in CATALOG)


@dataclass
class World:
    merchant: object
    connection: MiintoConnection
    miinto: MiintoSimulator
    shopify: object
    miinto_transport: FaultyTransport
    shopify_transport: FaultyTransport

    def offer(self, *lines: tuple[str, int, int], shop: str = DK_SHOP, created_at: float | None = None) -> int:
        """A new transfer of (gtin, unit price in minor units, quantity); returns its Miinto id."""
        transfer = self.miinto.state.create_transfer(shop, [{"gtin": g, "price": p, "quantity": q} for g, p, q in lines], created_at)
        return transfer.id

    def configure(self, **changes):
        with merchant_scope(self.merchant):
            configuration = self.connection.order_configuration
            services.order_configuration_update(configuration=configuration, **changes)
            self.connection.refresh_from_db()

    def sync(self, *, pushes: bool = True):
        """One orders run, executed here as a worker would: request, then run it; then, unless `pushes=False`, the
        push tasks its commits enqueued (eager Celery runs them when the captured on-commit callbacks fire)."""
        from django.test import TestCase

        from connections.models import SyncRun
        from connections.sync.runs import sync_request, sync_run_execute

        with merchant_scope(self.merchant), TestCase.captureOnCommitCallbacks(execute=pushes):
            run = sync_request(connection=self.connection, flow="orders", trigger="button")
            sync_run_execute(run)
        with merchant_scope(self.merchant):
            return SyncRun.objects.get(pk=run.pk)

    def run_due_pushes(self) -> list[str]:
        """What the outbox tasks and sweeper do for this connection: run each due push, decisions first."""
        from connections.sync.outbox import outbox_execute
        from orders.models import DecisionPush, StorePush

        outcomes = []
        for model in (DecisionPush, StorePush):
            with merchant_scope(self.merchant):
                due = list(model.objects.filter(connection=self.connection, state__in=["pending", "failed"]).values_list("pk", flat=True))
            outcomes += [outbox_execute(model._meta.label_lower, pk) for pk in due]
        return outcomes

    def decisions_on_miinto(self) -> list[dict]:
        return self.miinto.state.effects["decisions"]

    def store_orders(self) -> list[dict]:
        return self.shopify.orders_summary()


def seed_store(shopify, rows=CATALOG):
    shopify.seed_products([
        {"gtin": gtin, "sku": sku, "title": f"Product {sku}", "brand": "Nordic", "color": "Black", "size": sku.split("-")[-1],
         "price": Decimal(price), "compare_at_price": Decimal(compare) if compare else None, "stock": stock}
        for gtin, sku, price, compare, stock in rows
    ])


@pytest.fixture
def world(merchant, settings):
    from platforms.shopify.sandbox import ShopifySandbox

    miinto = MiintoSimulator(seed=5)
    miinto.state.add_account(USER, PASSWORD, [{"market": "DK", "name": "Nordic DK", "localId": 3001}, {"market": "SE", "name": "Nordic SE", "localId": 3002}])
    shopify = ShopifySandbox(2)
    seed_store(shopify)
    miinto_transport = wsgi_transport(miinto)
    shopify_transport = wsgi_transport(PrefixMount({"shopify": shopify}))
    with clients.use_transport("miinto", miinto_transport), clients.use_transport("shopify", shopify_transport), merchant_scope(merchant):
        store = services.store_connection_create(merchant=merchant, platform="shopify", name="Shop", credentials=shopify_credentials(shopify))
        services.store_connection_test(store_connection=store)
        with clients.store_adapter(store) as adapter:
            catalog_refresh(store, adapter)
        connection = services.miinto_connection_create(
            merchant=merchant, environment="simulator", username=USER, password=PASSWORD, shop_id=DK_SHOP, store_connection=store, activate=True
        )
        yield World(merchant, connection, miinto, shopify, miinto_transport, shopify_transport)
