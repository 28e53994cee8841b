"""Demo data for `make demo`: a Shopify store and a Miinto DK connection, both on the simulators, with its catalog.

It goes through the same services as the wizard, so the demo exercises the real set-up path.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from connections import services
from connections.demo_tour import seed_demo_tour
from connections.models import MiintoConnection, StoreConnection
from koongo.accounts.tenancy import merchant_scope

DEMO_SHOP_ID = "1-m!i!s-045-1101"
STORE_CURRENCY = "DKK"


def demo_store_catalog() -> list[dict]:
    """The Miinto demo catalog as the store simulators take it: DKK prices, a sale price on every fifth item."""
    from miinto.sandbox.demo import DEMO_CATALOG

    items = []
    for index, item in enumerate(DEMO_CATALOG):
        price = Decimal(item["price"][STORE_CURRENCY])
        on_sale = index % 5 == 4
        items.append(
            {
                "gtin": item["gtin"],
                "sku": item["sku"],
                "group": item["group"],
                "title": item["title"],
                "brand": item["brand"],
                "color": item["color"],
                "size": item["size"],
                "stock": item["stock"],
                "image_url": f"https://images.example.com/{item['sku']}.jpg",
                "price": str((price * Decimal("0.8")).quantize(Decimal("0.01")) if on_sale else price),
                "compare_at_price": str(price) if on_sale else None,
            }
        )
    return items


def write_demo_catalog(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(demo_store_catalog(), indent=1))
    return path


def seed_demo_connections(sender=None, *, merchant, stdout=None, **kwargs) -> str:
    """Connect the demo merchant to the simulators (idempotent): Shopify store, DK shop, auto-accept on."""
    from miinto.sandbox.demo import DEMO_PASSWORD, DEMO_USERNAME
    from platforms.shopify.sandbox import DEMO_SHOP, DEMO_TOKEN

    with merchant_scope(merchant):
        store = StoreConnection.objects.filter(merchant=merchant, name="Demo Shopify store").first()
        if store is None:
            credentials = {
                "shop_domain": DEMO_SHOP,
                "access_token": DEMO_TOKEN,
                "base_url": f"{settings.STORE_SIMULATOR_URL}/shopify/{DEMO_SHOP}",
                "app_client_secrets": [settings.SHOPIFY_CLIENT_SECRET],
            }
            store = services.store_connection_create(
                merchant=merchant, platform="shopify", name="Demo Shopify store", credentials=credentials
            )
        services.store_connection_test(store_connection=store)
        connection = MiintoConnection.objects.filter(merchant=merchant, shop_id=DEMO_SHOP_ID).first()
        if connection is None:
            connection = services.miinto_connection_create(
                merchant=merchant,
                environment="simulator",
                username=DEMO_USERNAME,
                password=DEMO_PASSWORD,
                shop_id=DEMO_SHOP_ID,
                store_connection=store,
                activate=True,
            )
            services.order_configuration_update(configuration=connection.order_configuration, auto_accept=True)
    # The catalogs (products, feed credentials) follow in catalog's own demo_seeded receiver.
    tour = seed_demo_tour(merchant, username=DEMO_USERNAME, password=DEMO_PASSWORD)
    return "\n".join([f"demo store {store.name}; Miinto connection {connection} ({connection.get_status_display()})", *tour])
