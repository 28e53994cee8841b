"""Miinto's Product Map (§6): fetched from Product Centre where the shop has one, and kept as a copy per connection.

The order engine reads it through `catalog.selectors.product_map_for` to match positions without a GTIN.
"""

from __future__ import annotations

from itertools import islice

from django.db import transaction
from django.utils import timezone

from catalog.feed_access import catalog_settings_get
from catalog.models import CatalogSettings, ProductMapEntry
from connections.models import MiintoConnection
from koongo.http import PermanentError

WRITE_BATCH = 1000
NOT_MIGRATED = "Product Centre has no Product Map for this shop (only shops migrated to it have one); orders match by GTIN."


def product_map_refresh(*, connection: MiintoConnection, client) -> int:
    """Replace the connection's copy of the map with Miinto's; returns how many entries it has.

    A shop without a map (Miinto refuses with a 4xx) keeps an empty copy and a note saying why; other errors raise.
    """
    catalog_settings = catalog_settings_get(connection)
    now = timezone.now()
    try:
        page = client.product_map(connection.shop_id)
    except PermanentError:
        with transaction.atomic():
            ProductMapEntry.objects.filter(connection=connection).delete()
            CatalogSettings.objects.filter(pk=catalog_settings.pk).update(
                product_map_fetched_at=now, product_map_entries=0, product_map_note=NOT_MIGRATED
            )
        return 0
    rows = {row.miinto_item_id: row for row in page.items}  # one entry per Miinto item, the last one wins
    entries = (
        ProductMapEntry(
            merchant_id=connection.merchant_id, connection=connection, miinto_item_id=row.miinto_item_id[:64], feed_id=row.feed_id[:200],
            gtin=(row.gtin or "")[:20], style_id=row.style_id[:200], fetched_at=now,
        )
        for row in rows.values()
    )  # fmt: skip
    with transaction.atomic():
        while batch := list(islice(entries, WRITE_BATCH)):
            ProductMapEntry.objects.bulk_create(
                batch, update_conflicts=True, unique_fields=["connection", "miinto_item_id"],
                update_fields=["feed_id", "gtin", "style_id", "fetched_at"],
            )  # fmt: skip
        ProductMapEntry.objects.filter(connection=connection, fetched_at__lt=now).delete()
        CatalogSettings.objects.filter(pk=catalog_settings.pk).update(
            product_map_fetched_at=now, product_map_entries=len(rows), product_map_note=""
        )
    return len(rows)
