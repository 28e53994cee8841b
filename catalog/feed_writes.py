"""Recording one served feed chunk: compare each row with its listing, then write only what changed, in a constant number
of bulk statements (new listings, changed flags, stock and prices, the price history). Serving writes no product row:
a served key is frozen only when the store is about to change it (`catalog.key_freeze`).

On PostgreSQL the statements take whole columns as arrays (UNNEST), so a chunk costs a few statements and no model
instances; elsewhere (the embedded SQLite demo) the ORM's bulk methods write the same rows.
"""

from __future__ import annotations

from collections import Counter, namedtuple
from dataclasses import dataclass, field

from django.db import connection as db
from django.db import transaction

from catalog.feed_format import FeedRow
from catalog.models import PriceExport, ProductListing
from connections.models import MiintoConnection

EXAMPLES_KEPT = 20
LISTING_FIELDS = [
    "in_feed", "mapping_problem", "exported_stock", "exported_stock_at", "exported_retail_price", "exported_discount_price",
    "exported_currency", "exported_price_at",
]  # fmt: skip


@dataclass
class FeedTally:
    """What one pull served, for the connection's settings, the errors inbox and the activity entry."""

    rows: int = 0
    left_out: int = 0
    price_changes: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)


# What a listing holds, read as plain values (the times only as whether they are set); see `catalog.feed.LISTED_FIELDS`.
Listed = namedtuple(
    "Listed",
    "pk in_feed mapping_problem exported_stock stock_exported exported_retail_price exported_discount_price exported_currency price_exported",
)


@dataclass
class ChunkWrites:
    """The rows one chunk writes, as plain tuples."""

    created: list = field(default_factory=list)  # (product id, in feed, mapping problem, stock, retail, discount)
    flags: list = field(default_factory=list)  # (listing id, in feed, mapping problem)
    stock: list = field(default_factory=list)  # (listing id, stock)
    prices: list = field(default_factory=list)  # (listing id, retail, discount): each also a PriceExport

    @property
    def price_changes(self) -> int:
        return len(self.prices) + sum(1 for row in self.created if row[5] is not None)


def chunk_writes_plan(
    currency: str, products: list, rows: list[FeedRow], listed: dict[int, Listed], tally: FeedTally
) -> ChunkWrites:
    """Compare each row with its listing: only what changed is written (a pull every 30 minutes mostly changes nothing)."""
    writes = ChunkWrites()
    for product, row in zip(products, rows, strict=True):
        served = row.line is not None
        priced = served and row.discount is not None  # no price in the market's currency: the last exported one stays
        note = row.note[:300]
        old = listed.get(product.pk)
        if old is None:
            writes.created.append(
                (
                    product.pk,
                    served,
                    note,
                    row.stock if served else None,
                    row.retail if priced else None,
                    row.discount if priced else None,
                )
            )
        else:
            if (old.in_feed, old.mapping_problem) != (served, note):
                writes.flags.append((old.pk, served, note))
            if served and (old.exported_stock != row.stock or not old.stock_exported):
                writes.stock.append((old.pk, row.stock))
            exported = (old.exported_retail_price, old.exported_discount_price, old.exported_currency)
            if priced and (exported != (row.retail, row.discount, currency) or not old.price_exported):
                writes.prices.append((old.pk, row.retail, row.discount))
        if served:
            tally.rows += 1
        else:
            tally.left_out += 1
            tally.reasons.update(problem.split(":")[0] for problem in row.problems)
            if len(tally.examples) < EXAMPLES_KEPT:
                tally.examples.append({"product": product.pk, "title": product.title, "reasons": row.problems})
    tally.price_changes += writes.price_changes
    return writes


def chunk_writes_apply(connection: MiintoConnection, writes: ChunkWrites, now) -> None:
    """Write a planned chunk in one transaction."""
    with transaction.atomic():
        if db.vendor == "postgresql":
            _apply_with_arrays(connection, writes, now)
        else:
            _apply_with_orm(connection, writes, now)


def _columns(rows: list[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


def _apply_with_arrays(connection: MiintoConnection, writes: ChunkWrites, now) -> None:
    listing, export = ProductListing._meta.db_table, PriceExport._meta.db_table
    common = {"merchant": connection.merchant_id, "connection": connection.pk, "currency": connection.currency, "now": now}
    with db.cursor() as cursor:
        if writes.created:
            products, in_feed, notes, stock, retail, discount = _columns(writes.created)
            # ON CONFLICT: a concurrent pull may have created some of them; then this pull's values win, as in the ORM path.
            cursor.execute(
                f"""
                WITH new AS (
                  INSERT INTO {listing} (merchant_id, product_id, connection_id, in_feed, mapping_problem, stock_problem, exported_stock,
                                         exported_stock_at, exported_retail_price, exported_discount_price, exported_currency,
                                         exported_price_at)
                  SELECT %(merchant)s, r.product_id, %(connection)s, r.in_feed, r.note, '', r.stock,
                         CASE WHEN r.stock IS NOT NULL THEN %(now)s::timestamptz END, r.retail, r.discount,
                         CASE WHEN r.discount IS NOT NULL THEN %(currency)s ELSE '' END,
                         CASE WHEN r.discount IS NOT NULL THEN %(now)s::timestamptz END
                  FROM unnest(%(products)s::bigint[], %(in_feed)s::boolean[], %(notes)s::varchar[], %(stock)s::integer[],
                              %(retail)s::numeric[], %(discount)s::numeric[]) AS r(product_id, in_feed, note, stock, retail, discount)
                  ON CONFLICT (product_id, connection_id) DO UPDATE SET
                    in_feed = EXCLUDED.in_feed, mapping_problem = EXCLUDED.mapping_problem, exported_stock = EXCLUDED.exported_stock,
                    exported_stock_at = EXCLUDED.exported_stock_at, exported_retail_price = EXCLUDED.exported_retail_price,
                    exported_discount_price = EXCLUDED.exported_discount_price, exported_currency = EXCLUDED.exported_currency,
                    exported_price_at = EXCLUDED.exported_price_at
                  RETURNING id, exported_retail_price, exported_discount_price
                )
                INSERT INTO {export} (merchant_id, listing_id, retail_price, discount_price, currency, exported_at)
                SELECT %(merchant)s, id, exported_retail_price, exported_discount_price, %(currency)s, %(now)s FROM new
                WHERE exported_discount_price IS NOT NULL
                """,
                {**common, "products": products, "in_feed": in_feed, "notes": notes, "stock": stock, "retail": retail, "discount": discount},
            )  # fmt: skip
        if writes.flags:
            ids, in_feed, notes = _columns(writes.flags)
            cursor.execute(
                f"UPDATE {listing} AS l SET in_feed = u.in_feed, mapping_problem = u.note "
                "FROM unnest(%s::bigint[], %s::boolean[], %s::varchar[]) AS u(id, in_feed, note) WHERE l.id = u.id",
                [ids, in_feed, notes],
            )
        if writes.stock:
            ids, stock = _columns(writes.stock)
            cursor.execute(
                f"UPDATE {listing} AS l SET exported_stock = u.stock, exported_stock_at = %s "
                "FROM unnest(%s::bigint[], %s::integer[]) AS u(id, stock) WHERE l.id = u.id",
                [now, ids, stock],
            )
        if writes.prices:
            ids, retail, discount = _columns(writes.prices)
            cursor.execute(
                f"""
                WITH u AS (SELECT * FROM unnest(%(ids)s::bigint[], %(retail)s::numeric[], %(discount)s::numeric[]) AS u(id, retail, discount)),
                changed AS (
                  UPDATE {listing} AS l SET exported_retail_price = u.retail, exported_discount_price = u.discount,
                         exported_currency = %(currency)s, exported_price_at = %(now)s
                  FROM u WHERE l.id = u.id RETURNING l.id
                )
                INSERT INTO {export} (merchant_id, listing_id, retail_price, discount_price, currency, exported_at)
                SELECT %(merchant)s, u.id, u.retail, u.discount, %(currency)s, %(now)s FROM u JOIN changed ON changed.id = u.id
                """,
                {**common, "ids": ids, "retail": retail, "discount": discount},
            )  # fmt: skip


def _apply_with_orm(connection: MiintoConnection, writes: ChunkWrites, now) -> None:
    scope = {"merchant_id": connection.merchant_id, "connection_id": connection.pk}
    currency = connection.currency
    if writes.created:
        created = [
            ProductListing(
                **scope, product_id=product_id, in_feed=in_feed, mapping_problem=note, exported_stock=stock,
                exported_stock_at=now if stock is not None else None, exported_retail_price=retail, exported_discount_price=discount,
                exported_currency=currency if discount is not None else "", exported_price_at=now if discount is not None else None,
            )
            for product_id, in_feed, note, stock, retail, discount in writes.created
        ]  # fmt: skip
        # update_conflicts: a concurrent pull may have created some; it also hands back every primary key.
        ProductListing.objects.bulk_create(
            created, update_conflicts=True, unique_fields=["product", "connection"], update_fields=LISTING_FIELDS
        )
        priced = [
            (listing.pk, listing.exported_retail_price, listing.exported_discount_price)
            for listing in created
            if listing.exported_price_at
        ]
    else:
        priced = []
    if writes.flags:
        ProductListing.objects.bulk_update(
            [ProductListing(pk=pk, in_feed=in_feed, mapping_problem=note) for pk, in_feed, note in writes.flags],
            ["in_feed", "mapping_problem"],
        )
    if writes.stock:
        ProductListing.objects.bulk_update(
            [ProductListing(pk=pk, exported_stock=stock, exported_stock_at=now) for pk, stock in writes.stock],
            ["exported_stock", "exported_stock_at"],
        )
    if writes.prices:
        ProductListing.objects.bulk_update(
            [
                ProductListing(pk=pk, exported_retail_price=retail, exported_discount_price=discount, exported_currency=currency,
                               exported_price_at=now)
                for pk, retail, discount in writes.prices
            ],
            ["exported_retail_price", "exported_discount_price", "exported_currency", "exported_price_at"],
        )  # fmt: skip
    exports = priced + writes.prices
    if exports:
        PriceExport.objects.bulk_create(
            [
                PriceExport(merchant_id=connection.merchant_id, listing_id=pk, retail_price=retail, discount_price=discount,
                            currency=currency, exported_at=now)
                for pk, retail, discount in exports
            ]
        )  # fmt: skip


def feed_chunk_record(
    connection: MiintoConnection, products: list, rows: list[FeedRow], listed: dict[int, Listed], now, tally: FeedTally
) -> None:
    """Record one served chunk: plan against the listings read with it, then write."""
    chunk_writes_apply(connection, chunk_writes_plan(connection.currency, products, rows, listed, tally), now)
