"""Serving one connection's feed: rows streamed from live data a chunk at a time, and what each chunk exported recorded.

Memory stays flat: products are read in keyset chunks, and the duplicate checks are answered by GROUP BY queries
that return only the duplicated values, so no per-row state outlives its chunk.
"""

from __future__ import annotations

import time
from collections import namedtuple
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings as django_settings
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Min, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from catalog.feed_format import HEADER_LINE, RowRules, feed_row
from catalog.feed_recorder import ChunkRecorder
from catalog.feed_writes import FeedTally, Listed, feed_chunk_record
from catalog.key_freeze import key_is_miintos
from catalog.models import CatalogSettings, Product, ProductListing
from connections.models import Direction, MiintoConnection
from connections.sync.activity import activity_record
from connections.sync.problems import problem_raise
from koongo.accounts.tenancy import merchant_scope

CHUNK = 2000
ROWS_LEFT_OUT = "feed_rows_left_out"
# Out of stock is written as 0, never dropped; a product gone from the store stays a 0 row this long (§12.4).
ZERO_ROW_HOURS = 1
BUILTIN_IDENTIFIERS = {"id": "store_variant_id", "sku": "sku", "gtin": "gtin"}


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


def key_expressions() -> dict:
    """SQL for `Product.stock_key()`: the frozen key once exported, else the current columns."""
    columns = {"group": "item_group_id", "brand": "brand", "color": "color", "size": "size"}
    return {
        f"key_{name}": Case(
            When(exported_key__isnull=True, then=F(column)), default=KT(f"exported_key__{name}"), output_field=TextField()
        )
        for name, column in columns.items()
    }


def feed_id_expression(attribute: str):
    """SQL for `Product.identifier(attribute)`: the adapter's value first, then the built-in column."""
    adapter_value = NullIf(KT(f"identifiers__{attribute}"), Value(""), output_field=TextField())
    column = BUILTIN_IDENTIFIERS.get(attribute)
    if column is None:
        return adapter_value
    return Coalesce(adapter_value, NullIf(F(column), Value(""), output_field=TextField()), output_field=TextField())


def duplicate_holders(candidates: QuerySet[Product], attribute: str) -> tuple[dict, dict, dict]:
    """Which product keeps each duplicated feed id, stock key and GTIN: three queries returning only the duplicates.

    A key Miinto already knows (frozen, or exported under the current columns) stays with its product; otherwise the
    oldest product keeps it.
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
        base.annotate(**key_expressions())
        .values("key_group", "key_brand", "key_color", "key_size")
        .annotate(rows=Count("pk"), holder=Coalesce(Min("pk", filter=key_is_miintos()), Min("pk")))
        .filter(rows__gt=1)
    )  # fmt: skip
    gtins = base.exclude(gtin="").values("gtin").annotate(rows=Count("pk"), holder=Min("pk")).filter(rows__gt=1)
    return (
        {row["feed_id"]: row["holder"] for row in ids},
        {(row["key_group"], row["key_brand"], row["key_color"], row["key_size"]): row["holder"] for row in keys},
        {row["gtin"]: row["holder"] for row in gtins},
    )


FEED_PRODUCT_FIELDS = (
    "pk", "feed_id", "key_group", "key_brand", "key_color", "key_size", "gtin", "title", "category", "gender",
    "image_urls", "material", "made_in", "description", "stock", "final_price", "original_price", "price_currency",
    "prices_include_tax", "style_id", "removed_at",
)  # fmt: skip
# A product as the feed reads it: plain values, not a model instance (a pull reads 100,000 of them). The feed id and the
# stock key come from the same SQL expressions as the duplicate checks, so a row and its duplicate check always agree.
FeedProduct = namedtuple("FeedProduct", FEED_PRODUCT_FIELDS)
LISTED_FIELDS = (
    "pk", "in_feed", "mapping_problem", "exported_stock", "stock_exported", "exported_retail_price", "exported_discount_price",
    "exported_currency", "price_exported",
)  # fmt: skip


def feed_chunk_read(
    candidates: QuerySet[Product], connection: MiintoConnection, attribute: str, after_pk: int
) -> tuple[list, dict]:
    """The next chunk of products after `after_pk`, and this connection's listings of them by product id; two queries."""
    rows = (
        candidates.filter(pk__gt=after_pk)
        .order_by("pk")
        .annotate(feed_id=feed_id_expression(attribute), **key_expressions())
        .values_list(*FEED_PRODUCT_FIELDS)[:CHUNK]
    )
    products = [FeedProduct._make(row) for row in rows]
    if not products:
        return [], {}
    listed = (
        ProductListing.objects.filter(connection=connection, product_id__gte=products[0].pk, product_id__lte=products[-1].pk)
        .annotate(
            stock_exported=ExpressionWrapper(Q(exported_stock_at__isnull=False), output_field=BooleanField()),
            price_exported=ExpressionWrapper(Q(exported_price_at__isnull=False), output_field=BooleanField()),
        )
        .values_list("product_id", *LISTED_FIELDS)
    )
    return products, {row[0]: Listed._make(row[1:]) for row in listed}


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
        tally = FeedTally()
        recorder = ChunkRecorder(connection.merchant)
        try:
            last_pk = 0
            while True:
                products, listed = feed_chunk_read(candidates, connection, attribute, last_pk)
                if not products:
                    break
                last_pk = products[-1].pk
                rows = [feed_row(product, rules) for product in products]
                body = "".join([row.line for row in rows if row.line is not None])
                if body:
                    yield body.encode()
                recorder.record(feed_chunk_record, connection, products, rows, listed, now, tally)
        finally:
            recorder.close()  # also when the client goes away: the chunks it was sent are recorded
        _feed_finish(catalog_settings, connection, now, tally, started)
