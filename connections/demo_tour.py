"""The demo as a tour: besides the Shopify store on the DK shop, one store on each other platform, each wired to its
own Miinto shop, so every platform and every mode has real data within a minute of `make demo`.

SE runs in manual mode (positions wait for the merchant), NO in Stock only, CN shows what Miinto China cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from connections import services
from connections.models import MiintoConnection, StoreConnection, SyncLevel
from koongo.accounts.tenancy import merchant_scope
from platforms import registry


@dataclass(frozen=True)
class TourStop:
    platform: str
    store_name: str
    shop_id: str
    auto_accept: bool
    sync_level: str = SyncLevel.ORDERS_AND_STOCK


TOUR = (
    TourStop("magento2", "Demo Magento 2 store", "1-m!i!s-046-1102", auto_accept=False),  # SE: manual decisions
    TourStop("bigcommerce", "Demo BigCommerce store", "1-m!i!s-047-1103", auto_accept=True, sync_level=SyncLevel.STOCK_ONLY),  # NO
    TourStop("prestashop", "Demo PrestaShop store", "1-m!i!s-049-1104", auto_accept=True),  # DE
    TourStop("shopware5", "Demo Shopware 5 store", "1-m!i!s-086-1107", auto_accept=True),  # CN
)


def demo_credentials(platform: str) -> dict:
    """The store simulator's demo account, at the address `make demo` serves it."""
    return registry.sandbox_class(platform)(1).demo_credentials(base_url=f"{settings.STORE_SIMULATOR_URL}/{platform}")


def seed_demo_tour(merchant, *, username: str, password: str) -> list[str]:
    """Create (idempotently) each tour stop's store and Miinto connection; returns a line per stop for the console."""
    lines = []
    with merchant_scope(merchant):
        for stop in TOUR:
            store = StoreConnection.objects.filter(merchant=merchant, name=stop.store_name).first()
            if store is None:
                store = services.store_connection_create(
                    merchant=merchant, platform=stop.platform, name=stop.store_name, credentials=demo_credentials(stop.platform)
                )
            services.store_connection_test(store_connection=store)
            connection = MiintoConnection.objects.filter(merchant=merchant, shop_id=stop.shop_id).first()
            if connection is None:
                connection = services.miinto_connection_create(
                    merchant=merchant, environment="simulator", username=username, password=password, shop_id=stop.shop_id,
                    store_connection=store, activate=True,
                )
                services.order_configuration_update(
                    configuration=connection.order_configuration, auto_accept=stop.auto_accept, sync_level=stop.sync_level
                )
            mode = "auto-accept" if stop.auto_accept else "manual decisions"
            lines.append(f"tour: {store.name} ({stop.platform}) → {connection} · {connection.order_configuration.get_sync_level_display()} · {mode}")
    return lines
