"""Miinto knows an exported item by its stock key (group, brand, colour, size) for good (§12.2): copy on write.

Serving the feed writes no product row. When a catalog refresh is about to change the key of a product that was
already exported, the key Miinto knows is frozen first (`Product.exported_key`), in the refresh's transaction, so the
feed and the stock pushes keep using it. A 100,000-row first pull thus rewrites no product, and a refresh pays one
read per page and a write only for the rare product whose key really changes.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from catalog.models import Product, ProductListing
from connections.models import StoreConnection

KEY_COLUMNS = ("item_group_id", "brand", "color", "size")


def exported() -> Exists:
    """SQL, per product: it was served to Miinto on some connection, so Miinto holds stock under its key."""
    return Exists(ProductListing.objects.filter(product=OuterRef("pk"), exported_stock_at__isnull=False))


def key_is_miintos() -> Q:
    """SQL, per product: Miinto knows it by its stock key (frozen already, or exported under its current columns)."""
    return Q(exported_key__isnull=False) | Q(exported())


def key_of(product: Product) -> dict:
    return {"group": product.item_group_id, "brand": product.brand, "color": product.color, "size": product.size}


def keys_freeze_before_change(store: StoreConnection, incoming: dict[str, Product]) -> int:
    """Freeze the current key of each exported, unfrozen product that `incoming` (by catalog key) would change.

    One read and at most one write per page; returns how many keys were frozen. Call it in the upsert's transaction.
    """
    current = (
        Product.objects.filter(store_connection=store, store_variant_id__in=list(incoming), exported_key__isnull=True)
        .filter(exported())
        .only("pk", "store_variant_id", *KEY_COLUMNS)
    )
    frozen = []
    for product in current:
        if key_of(product) != key_of(incoming[product.store_variant_id]):
            product.exported_key = key_of(product)
            frozen.append(product)
    Product.objects.bulk_update(frozen, ["exported_key"])
    return len(frozen)
