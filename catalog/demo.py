"""The catalog's part of `make demo`: fill the catalog from the store simulator, make Miinto's demo shop know its items,
issue feed credentials, and read the feed once as Miinto would, so prices and stock show as exported.

`seed_demo_catalog` answers the demo_seeded signal after connections' receiver has linked the demo shop
(apps connect in INSTALLED_APPS order), and the seed command prints what it returns.
"""

from __future__ import annotations

from django.db import transaction

from catalog.feed import feed_stream
from catalog.feed_access import catalog_settings_get, feed_credentials_rotate
from catalog.models import Product
from catalog.services import catalog_refresh
from connections import clients
from connections.models import MiintoConnection
from koongo.accounts.tenancy import merchant_scope


@transaction.atomic
def demo_keys_freeze(store) -> int:
    """Give the demo products the stock keys the Miinto simulator's demo shops know (by GTIN), as if exported before.

    The demo merchant has been live on Miinto: its items are known there by the shared demo catalog's group, brand,
    colour and size, so stock pushes reach them. Keys already frozen are left alone.
    """
    from miinto.sandbox.demo import DEMO_CATALOG

    by_gtin = {item["gtin"]: item for item in DEMO_CATALOG}
    products = list(Product.objects.filter(store_connection=store, exported_key__isnull=True, gtin__in=list(by_gtin)))
    for product in products:
        item = by_gtin[product.gtin]
        product.exported_key = {"group": item["group"], "brand": item["brand"], "color": item["color"], "size": item["size"]}
        product.style_id = item["group"]
    Product.objects.bulk_update(products, ["exported_key", "style_id"])
    return len(products)


def demo_catalog_prepare(*, connection: MiintoConnection, simulate_pull: bool = True) -> str:
    """Refresh the catalog, freeze the demo keys, issue feed credentials and (the simulator never pulls feeds) read the
    feed once as Miinto would; returns lines to print: the feed URL, user and password."""
    store = connection.store_connection
    if store is None:
        return f"{connection}: no store linked, so no catalog or feed"
    with merchant_scope(connection.merchant):
        with clients.store_adapter(store) as adapter:
            seen, _ = catalog_refresh(store, adapter)
        demo_keys_freeze(store)
        credentials = feed_credentials_rotate(connection=connection)
        rows = 0
        if simulate_pull:
            rows = max(0, b"".join(feed_stream(catalog_settings_get(connection))).count(b"\n") - 1)
    return (
        f"catalog: {seen} products from {store}; the feed served {rows} row(s)\n"
        f"  Feed URL:   {credentials.url}\n  Feed user:  {credentials.username}\n  Password:   {credentials.password}  (shown once)"
    )


def seed_demo_catalog(sender=None, *, merchant, **kwargs) -> str:
    """The demo_seeded receiver: prepare the catalog and feed of the demo shop that connections' receiver linked, and
    the catalogs of the tour's other stores (no simulated feed pull for those)."""
    from connections.demo import DEMO_SHOP_ID
    from connections.demo_tour import TOUR

    with merchant_scope(merchant):
        connection = MiintoConnection.objects.filter(merchant=merchant, shop_id=DEMO_SHOP_ID).first()
        tour = list(MiintoConnection.objects.filter(merchant=merchant, shop_id__in=[stop.shop_id for stop in TOUR]))
    if connection is None:
        return "catalog: no demo Miinto connection, so no catalog or feed"
    lines = [demo_catalog_prepare(connection=connection)]
    lines += [demo_catalog_prepare(connection=stop, simulate_pull=False) for stop in tour]
    return "\n".join(lines)
