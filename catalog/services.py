"""Writes for the catalog: upserting store products in bulk pages, marking those gone from the store, and settings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import transaction
from django.utils import timezone

from catalog.feed_access import catalog_settings_get
from catalog.feed_format import clean_text, miinto_gender
from catalog.key_freeze import keys_freeze_before_change
from catalog.models import Product, catalog_key
from connections.models import StoreConnection

UPSERT_PAGE = 500
UPDATED_FIELDS = [
    "store_product_id", "sku", "gtin", "identifiers", "title", "brand", "color", "size", "category", "gender", "image_urls", "stock",
    "final_price", "original_price", "price_currency", "prices_include_tax", "price_derivation", "item_group_id", "last_seen_at",
    "removed_at",
]  # fmt: skip
# A product whose stock read failed keeps the stock we knew (a new one starts unknown).
KEEP_STOCK_FIELDS = [field for field in UPDATED_FIELDS if field != "stock"]
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def item_group_id(product_id: str, color: str) -> str:
    """Store product + colour, e.g. `8812-washed-blue`: Miinto wants one colour per group (§12.2).

    Shopify's product ids are gids (`gid://shopify/Product/8812`); their last segment is the readable, stable part.
    """
    short = product_id.rstrip("/").rsplit("/", 1)[-1]
    colour = _NOT_ALPHANUMERIC.sub("-", color.lower()).strip("-")
    return (f"{short}-{colour}" if colour else short)[:200]


def product_from_store(store: StoreConnection, item, seen_at) -> Product:
    """Our row for one StoreProduct, its text cleaned as the feed needs it (the feed's duplicate check reads these columns)."""
    price = item.final_price or item.original_price
    color = clean_text(item.color)[:254]
    category = clean_text(item.category)[:500]
    product = Product(
        merchant_id=store.merchant_id, store_connection=store, store_product_id=item.product_id,
        store_variant_id=catalog_key(item.product_id, item.variant_id),
        sku=item.sku or "", gtin=item.gtin or "", identifiers=dict(item.identifiers), title=clean_text(item.title)[:500],
        brand=clean_text(item.brand)[:149], color=color, size=clean_text(item.size)[:254], category=category,
        gender=miinto_gender(category), image_urls=list(item.image_urls), stock=item.stock,
        final_price=item.final_price.amount if item.final_price else None,
        original_price=item.original_price.amount if item.original_price else None, price_currency=str(price.currency) if price else "",
        prices_include_tax=price.tax_included if price else None, price_derivation=(price.derivation if price else "")[:300],
        item_group_id=item_group_id(item.product_id, color), last_seen_at=seen_at, removed_at=None,
    )  # fmt: skip
    # The feed's `id` falls back to the store's own id of the item, never to the catalog key (see `catalog_key`).
    product.identifiers.setdefault("id", product.store_item_id)
    return product


def products_upsert(store: StoreConnection, items: Iterable, *, seen_at=None, on_page: Callable[[int], None] | None = None) -> int:
    """Insert or update store products a page at a time: a constant number of queries per page; returns how many."""
    seen_at = seen_at or timezone.now()
    count = 0
    for chunk in _chunks(items, UPSERT_PAGE):
        rows, unknown = {}, set()
        for item in chunk:
            row = product_from_store(store, item, seen_at)
            rows[row.store_variant_id] = row  # a store listing a variant twice in one page keeps the last
            if item.stock_unknown:
                unknown.add(row.store_variant_id)
            else:
                unknown.discard(row.store_variant_id)
        with transaction.atomic():
            keys_freeze_before_change(store, rows)  # before the new columns overwrite a key Miinto already knows
            for part, fields in ((unknown, KEEP_STOCK_FIELDS), (rows.keys() - unknown, UPDATED_FIELDS)):
                if part:
                    Product.objects.bulk_create(
                        [rows[key] for key in part], update_conflicts=True, unique_fields=["store_connection", "store_variant_id"], update_fields=fields
                    )
        count += len(rows)
        if on_page is not None:
            on_page(len(rows))
    return count


@transaction.atomic
def products_mark_removed(store: StoreConnection, refreshed_before) -> int:
    """Products not seen in a full refresh are gone from the store: marked, never deleted (orders reference them)."""
    return Product.objects.filter(store_connection=store, last_seen_at__lt=refreshed_before, removed_at__isnull=True).update(removed_at=timezone.now())


def catalog_refresh(store: StoreConnection, adapter, *, page_size: int = 100, on_page: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Read the whole store catalog through the adapter; returns (products seen, products marked removed).

    Only a refresh that read the whole catalog marks products removed: an error mid-way raises before that step.
    """
    started = timezone.now()
    seen = products_upsert(store, adapter.iter_products(page_size), seen_at=started, on_page=on_page)
    return seen, products_mark_removed(store, started)


@transaction.atomic
def catalog_settings_update(*, connection, stock_buffer: int | None = None, full_reassert_hours: int | None = None):
    """Change the stock buffer or the full-reassert interval; validated against the model's limits."""
    catalog_settings = catalog_settings_get(connection)
    changed = []
    for name, value in (("stock_buffer", stock_buffer), ("full_reassert_hours", full_reassert_hours)):
        if value is not None:
            setattr(catalog_settings, name, value)
            changed.append(name)
    if changed:
        catalog_settings.full_clean(exclude=[f.name for f in catalog_settings._meta.fields if f.name not in changed])
        catalog_settings.save(update_fields=changed)
    return catalog_settings
