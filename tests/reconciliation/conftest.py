"""A reconciliation world: the RMA world (Miinto and Shopify simulators, an active DK connection) with its catalog in
Miinto's feed and stock pushed, plus helpers that seed divergences through the simulators and their fault switches.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.feed import feed_stream
from catalog.feed_access import catalog_settings_get
from connections.sync.outbox import outbox_execute
from koongo.accounts.tenancy import merchant_scope
from reconciliation.models import ReconciliationRun
from reconciliation.services import reconciliation_execute, reconciliation_start
from tests.rma import conftest as rma_conftest
from tests.rma.conftest import CATALOG, build_world


def list_in_feed(world) -> None:
    """Miinto pulls the feed (the listings enter it) and reads its rows, so the stock API knows the items."""
    from tests.catalog.conftest import miinto_reads_feed

    with merchant_scope(world.merchant):
        body = b"".join(feed_stream(catalog_settings_get(world.connection)))
    miinto_reads_feed(world.miinto, world.connection.shop_id, body)


def reconcile(world, *, days: int = 1) -> ReconciliationRun:
    """A run over the last `days` days up to a minute from now, executed here as the worker would."""
    now = timezone.now()
    with merchant_scope(world.merchant):
        run = reconciliation_start(
            merchant=world.merchant, connection=world.connection, period_start=now - timedelta(days=days),
            period_end=now + timedelta(minutes=1), trigger="button",
        )  # fmt: skip
        return reconciliation_execute(run)


def execute_due(world, model) -> None:
    """What the outbox tasks do next: execute the connection's rows that are due."""
    with merchant_scope(world.merchant):
        for pk in model.objects.filter(connection=world.connection, state="pending").values_list("pk", flat=True):
            outbox_execute(model._meta.label_lower, pk)


def timeouts(transport, count: int, match) -> None:
    """The fault switch: the next `count` matching requests time out before reaching the simulator."""
    transport.match = match
    transport.timeout_before = count


def seed_store_with_images(store, rows=CATALOG):
    """The RMA world's catalog with an HTTPS image each, so every item enters Miinto's feed."""
    store.seed_products([
        {"gtin": gtin, "sku": sku, "title": f"Product {sku}", "brand": "Nordic", "color": "Black", "size": sku.split("-")[-1],
         "price": Decimal(price), "stock": stock, "image_url": f"https://images.example/{sku}.jpg"}
        for gtin, sku, price, stock in rows
    ])


@pytest.fixture
def world(merchant, monkeypatch):
    monkeypatch.setattr(rma_conftest, "seed_store", seed_store_with_images)
    yield from build_world(merchant, "shopify")


def seed_run(merchant, connection, findings: int = 3, *, status: str = "done"):
    """A finished run with `findings` stock findings, written as a run writes them (bulk, counts stored)."""
    from reconciliation.models import Finding, ReconciliationRun

    now = timezone.now()
    with merchant_scope(merchant):
        run = ReconciliationRun.objects.create(
            merchant=merchant, connection=connection, period_start=now - timedelta(days=1), period_end=now, trigger="button",
            status=status, counts={"stock_mismatch": findings} if findings else {}, findings_total=findings, finished_at=now,
        )  # fmt: skip
        Finding.objects.bulk_create([
            Finding(merchant=merchant, run=run, connection=connection, kind="stock_mismatch", store_ref=f"SKU-{n}",
                    message=f"SKU SKU-{n}: Miinto has 5, the store has {n}.", miinto_value="5", store_value=str(n),
                    fix="push_stock", fix_args={"product": 0, "store_stock": n})
            for n in range(findings)
        ])  # fmt: skip
    return run


@pytest.fixture
def connection(merchant):
    from tests.catalog.conftest import make_miinto_connection, make_store

    return make_miinto_connection(merchant, make_store(merchant))


@pytest.fixture
def other_connection(other_merchant):
    from tests.catalog.conftest import make_miinto_connection, make_store

    return make_miinto_connection(other_merchant, make_store(other_merchant), shop_id="1-m!i!s-045-9999")
