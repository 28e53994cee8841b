"""Serving one connection's feed: rows streamed from live data a chunk at a time, and what each chunk exported recorded.

Memory stays flat: products are read in keyset chunks, and the duplicate checks are answered by GROUP BY queries
that return only the duplicated values, so no per-row state outlives its chunk.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Case, Count, F, Min, Prefetch, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, JSONObject, NullIf
from django.utils import timezone

from catalog.feed_format import HEADER_LINE, FeedRow, RowRules, feed_row
from catalog.models import CatalogSettings, PriceExport, Product, ProductListing
from connections.activity import activity_record
from connections.models import Direction, MiintoConnection
from connections.problems import problem_raise
from koongo.accounts.tenancy import merchant_scope

CHUNK = 2000
ROWS_LEFT_OUT = "feed_rows_left_out"
# Out of stock is written as 0, never dropped; a product gone from the store stays a 0 row this long (§12.4).
ZERO_ROW_HOURS = 1
BUILTIN_IDENTIFIERS = {"id": "store_variant_id", "sku": "sku", "gtin": "gtin"}
LISTING_FIELDS = [
    "in_feed", "mapping_problem", "exported_stock", "exported_stock_at", "exported_retail_price", "exported_discount_price",
    "exported_currency", "exported_price_at",
]  # fmt: skip
EXAMPLES_KEPT = 20


def identification_attribute(connection: MiintoConnection) -> str:
    """The store attribute exported as the feed id: the Orders configuration's Product Identification Attribute."""
    configuration = getattr(connection, "order_configuration", None)
    return configuration.product_identification_attribute if configuration else "id"


def zero_row_cutoff(now):
    return now - timedelta(hours=getattr(django_settings, "CATALOG_ZERO_ROW_HOURS", ZERO_ROW_HOURS))


def feed_candidates(connection: MiintoConnection, now) -> QuerySet[Product]:
    """The products a feed pull considers: the linked store's live ones, plus those gone within the zero-row hour."""
    live = Q(removed_at__isnull=True) | Q(removed_at__gte=zero_row_cutoff(now))
    return Product.objects.filter(live, merchant_id=connection.merchant_id, store_connection_id=connection.store_connection_id)


def _key_part(name: str, column: str):
    return Case(When(exported_key__isnull=True, then=F(column)), default=KT(f"exported_key__{name}"), output_field=TextField())


def feed_id_expression(attribute: str):
    """SQL for `Product.identifier(attribute)`: the adapter's value first, then the built-in column."""
    adapter_value = NullIf(KT(f"identifiers__{attribute}"), Value(""), output_field=TextField())
    column = BUILTIN_IDENTIFIERS.get(attribute)
    if column is None:
        return adapter_value
    return Coalesce(adapter_value, NullIf(F(column), Value(""), output_field=TextField()), output_field=TextField())


def duplicate_holders(candidates: QuerySet[Product], attribute: str) -> tuple[dict, dict, dict]:
    """Which product keeps each duplicated feed id, stock key and GTIN: three queries returning only the duplicates.

    A key already frozen on Miinto stays with its product; otherwise the oldest product keeps it.
    """
    base = candidates.order_by()
    ids = (
        base.annotate(feed_id=feed_id_expression(attribute))
        .exclude(feed_id__isnull=True)
        .values("feed_id")
        .annotate(rows=Count("pk"), holder=Min("pk"))
        .filter(rows__gt=1)
    )
    keys = (
        base.annotate(
            k_group=_key_part("group", "item_group_id"), k_brand=_key_part("brand", "brand"),
            k_color=_key_part("color", "color"), k_size=_key_part("size", "size"),
        )
        .values("k_group", "k_brand", "k_color", "k_size")
        .annotate(rows=Count("pk"), holder=Coalesce(Min("pk", filter=Q(exported_key__isnull=False)), Min("pk")))
        .filter(rows__gt=1)
    )  # fmt: skip
    gtins = base.exclude(gtin="").values("gtin").annotate(rows=Count("pk"), holder=Min("pk")).filter(rows__gt=1)
    return (
        {row["feed_id"]: row["holder"] for row in ids},
        {(row["k_group"], row["k_brand"], row["k_color"], row["k_size"]): row["holder"] for row in keys},
        {row["gtin"]: row["holder"] for row in gtins},
    )


@dataclass
class FeedTally:
    """What one pull served, for the connection's settings, the errors inbox and the activity entry."""

    rows: int = 0
    left_out: int = 0
    price_changes: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)


def _listing_state(listing: ProductListing) -> tuple:
    return tuple(getattr(listing, name) for name in LISTING_FIELDS)


def _apply_row(listing: ProductListing, row: FeedRow, currency: str, now) -> bool:
    """Set what this pull exported on the listing; True when the exported price changed (a PriceExport is due)."""
    listing.mapping_problem = row.note[:300]
    listing.in_feed = row.cells is not None
    if row.cells is None:
        return False
    if listing.exported_stock != row.stock or listing.exported_stock_at is None:
        listing.exported_stock, listing.exported_stock_at = row.stock, now
    if row.discount is None:
        return False  # no price in this market's currency: the last exported one stays the rule's reference
    exported = (listing.exported_retail_price, listing.exported_discount_price, listing.exported_currency)
    if exported == (row.retail, row.discount, currency) and listing.exported_price_at is not None:
        return False
    listing.exported_retail_price, listing.exported_discount_price = row.retail, row.discount
    listing.exported_currency, listing.exported_price_at = currency, now
    return True


def feed_chunk_record(connection: MiintoConnection, products: list[Product], rows: list[FeedRow], now, tally: FeedTally) -> None:
    """Record one served chunk in a constant number of queries: listings, changed prices, and newly frozen keys."""
    created, changed, priced, freeze = [], [], [], []
    for product, row in zip(products, rows, strict=True):
        listing = product.feed_listings[0] if product.feed_listings else None
        is_new = listing is None
        if is_new:
            listing = ProductListing(merchant_id=connection.merchant_id, product=product, connection=connection)
        before = None if is_new else _listing_state(listing)
        if _apply_row(listing, row, connection.currency, now):
            priced.append(listing)
        if is_new:
            created.append(listing)
        elif _listing_state(listing) != before:
            changed.append(listing)
        if row.cells is not None and product.exported_key is None:
            freeze.append(product.pk)
        if row.cells is None:
            tally.left_out += 1
            tally.reasons.update(problem.split(":")[0] for problem in row.problems)
            if len(tally.examples) < EXAMPLES_KEPT:
                tally.examples.append({"product": product.pk, "title": product.title, "reasons": row.problems})
        else:
            tally.rows += 1
    with transaction.atomic():
        if created:
            # update_conflicts: a concurrent pull may have created some; it also hands back every primary key.
            ProductListing.objects.bulk_create(
                created, update_conflicts=True, unique_fields=["product", "connection"], update_fields=LISTING_FIELDS
            )
        if changed:
            ProductListing.objects.bulk_update(changed, LISTING_FIELDS)
        if priced:
            PriceExport.objects.bulk_create(
                [
                    PriceExport(
                        merchant_id=connection.merchant_id, listing_id=listing.pk, retail_price=listing.exported_retail_price,
                        discount_price=listing.exported_discount_price, currency=listing.exported_currency, exported_at=now,
                    )
                    for listing in priced
                ]
            )  # fmt: skip
        if freeze:
            # Frozen from the columns the row was just built from: changing them later would take the item offline (§12.2).
            Product.objects.filter(pk__in=freeze, exported_key__isnull=True).update(
                exported_key=JSONObject(group=F("item_group_id"), brand=F("brand"), color=F("color"), size=F("size"))
            )
    tally.price_changes += len(priced)


def _feed_finish(catalog_settings: CatalogSettings, connection: MiintoConnection, now, tally: FeedTally, started: float) -> None:
    """After a complete pull: listings no longer offered leave the feed, and the pull is recorded and reported."""
    gone = Q(product__removed_at__lt=zero_row_cutoff(now)) | ~Q(product__store_connection_id=connection.store_connection_id)
    ProductListing.objects.filter(gone, connection=connection, in_feed=True).update(in_feed=False)
    CatalogSettings.objects.filter(pk=catalog_settings.pk).update(
        feed_served_at=now, feed_rows=tally.rows, feed_left_out=tally.left_out
    )
    if tally.left_out:
        summary = ", ".join(f"{count} {reason}" for reason, count in tally.reasons.most_common())
        problem_raise(
            merchant=connection.merchant,
            kind=ROWS_LEFT_OUT,
            message=f"{tally.left_out} product(s) were left out of the Miinto feed of {connection}: {summary}. "
            "Fix them in the store; the products page lists them under Mapping problems.",
            fingerprint=f"feed-left-out:{connection.pk}",
            connection=connection,
            excerpt={"examples": tally.examples},
            subject_type="feed",
            subject_id=connection.pk,
        )
    activity_record(
        merchant=connection.merchant,
        direction=Direction.FROM_MIINTO,
        operation="GET product feed",
        connection=connection,
        subject_type="feed",
        subject_id=connection.pk,
        http_status=200,
        duration_ms=int((time.monotonic() - started) * 1000),
        method="GET",
        payload={"rows": tally.rows, "left_out": tally.left_out, "price_changes": tally.price_changes},
    )


def feed_stream(catalog_settings: CatalogSettings) -> Iterator[bytes]:
    """The TSV, as bytes chunks: the header at once, then `CHUNK` rows at a time, each chunk recorded after it is sent.

    A pull the client abandons records nothing for the rows it did not take.
    """
    connection = catalog_settings.connection
    started = time.monotonic()
    with merchant_scope(connection.merchant):
        yield HEADER_LINE.encode()
        now = timezone.now()
        attribute = identification_attribute(connection)
        candidates = feed_candidates(connection, now)
        id_holders, key_holders, gtin_holders = duplicate_holders(candidates, attribute)
        rules = RowRules(
            currency=connection.currency, attribute=attribute, stock_buffer=catalog_settings.stock_buffer,
            id_holders=id_holders, key_holders=key_holders, gtin_holders=gtin_holders,
        )  # fmt: skip
        listings = Prefetch("listings", queryset=ProductListing.objects.filter(connection=connection), to_attr="feed_listings")
        tally = FeedTally()
        last_pk = 0
        while True:
            products = list(candidates.filter(pk__gt=last_pk).order_by("pk").prefetch_related(listings)[:CHUNK])
            if not products:
                break
            last_pk = products[-1].pk
            rows = [feed_row(product, rules) for product in products]
            body = "".join(row.line for row in rows if row.cells is not None)
            if body:
                yield body.encode()
            feed_chunk_record(connection, products, rows, now, tally)
        _feed_finish(catalog_settings, connection, now, tally, started)
