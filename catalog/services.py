"""Writes for the catalog: upserting store products in bulk pages, and marking those gone from the store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from connections.models import StoreConnection

UPSERT_PAGE = 500
UPDATED_FIELDS = [
    "store_product_id", "sku", "gtin", "identifiers", "title", "brand", "color", "size", "category", "image_urls", "stock",
    "final_price", "original_price", "price_currency", "price_derivation", "item_group_id", "last_seen_at", "removed_at",
]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def product_from_store(store: StoreConnection, item, seen_at) -> Product:
    """Our row for one StoreProduct; the group id defaults to store product + colour (one colour per group, §12.2)."""
    price = item.final_price or item.original_price
    variant_id = item.variant_id or item.product_id
    return Product(
        merchant_id=store.merchant_id, store_connection=store, store_product_id=item.product_id, store_variant_id=variant_id,
        sku=item.sku or "", gtin=item.gtin or "", identifiers=dict(item.identifiers), title=item.title[:500], brand=(item.brand or "")[:149],
        color=(item.color or "")[:254], size=(item.size or "")[:254], category=(item.category or "")[:500], image_urls=list(item.image_urls),
        stock=item.stock, final_price=item.final_price.amount if item.final_price else None,
        original_price=item.original_price.amount if item.original_price else None, price_currency=str(price.currency) if price else "",
        price_derivation=(price.derivation if price else "")[:300], item_group_id=f"{item.product_id}-{(item.color or '').lower()}"[:200],
        last_seen_at=seen_at, removed_at=None,
    )


def products_upsert(store: StoreConnection, items: Iterable, *, seen_at=None) -> int:
    """Insert or update store products a page at a time: a constant number of queries per page; returns how many."""
    seen_at = seen_at or timezone.now()
    count = 0
    for chunk in _chunks(items, UPSERT_PAGE):
        rows = {}
        for item in chunk:
            row = product_from_store(store, item, seen_at)
            rows[row.store_variant_id] = row  # a store listing a variant twice in one page keeps the last
        with transaction.atomic():
            Product.objects.bulk_create(
                list(rows.values()), update_conflicts=True, unique_fields=["store_connection", "store_variant_id"], update_fields=UPDATED_FIELDS
            )
        count += len(rows)
    return count


@transaction.atomic
def products_mark_removed(store: StoreConnection, refreshed_before) -> int:
    """Products not seen in a full refresh are gone from the store: marked, never deleted (orders reference them)."""
    return Product.objects.filter(store_connection=store, last_seen_at__lt=refreshed_before, removed_at__isnull=True).update(removed_at=timezone.now())


def catalog_refresh(store: StoreConnection, adapter, *, page_size: int = 100) -> tuple[int, int]:
    """Read the whole store catalog through the adapter; returns (products seen, products marked removed)."""
    started = timezone.now()
    seen = products_upsert(store, adapter.iter_products(page_size), seen_at=started)
    return seen, products_mark_removed(store, started)
