"""Stock push to Miinto: the in-feed items whose stock differs from what Miinto last got (or all of them, on the daily
full reassert), in PATCHes of at most 500, recording what was exported and which items Miinto does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from catalog.models import ProductListing
from connections.models import MiintoConnection
from connections.sync.problems import problem_raise
from miinto.client import STOCK_BATCH_SIZE
from miinto.schemas import StockItem

UNKNOWN_ITEMS = "stock_unknown_items"
UNKNOWN_MESSAGE = (
    "Miinto's stock API does not know this item (group, brand, colour, size); has Miinto read the feed since it was added?"
)
EXAMPLES_KEPT = 20


@dataclass
class StockPushOutcome:
    """How a push went: items sent, taken by Miinto, unknown to it, and in-feed items left alone because unchanged."""

    full: bool
    sent: int = 0
    updated: int = 0
    unknown: int = 0
    unchanged: int = 0
    batches: int = 0


def in_feed_listings(connection: MiintoConnection, buffer: int) -> QuerySet[ProductListing]:
    """The connection's in-feed items with a known stock, annotated with `desired`: the stock Miinto should see.

    `desired` is max(0, stock − buffer), and 0 for a product gone from the store (its feed row stays at 0 for an hour).
    """
    desired = Case(
        When(product__removed_at__isnull=False, then=Value(0)),
        default=Greatest(Value(0), F("product__stock") - Value(buffer)),
    )
    known_stock = Q(product__removed_at__isnull=False) | Q(product__stock__isnull=False)
    return ProductListing.objects.filter(
        known_stock, connection=connection, in_feed=True, product__store_connection_id=connection.store_connection_id
    ).annotate(desired=desired)


def _due(listings: QuerySet[ProductListing], full: bool) -> QuerySet[ProductListing]:
    return listings if full else listings.filter(Q(exported_stock__isnull=True) | ~Q(exported_stock=F("desired")))


def stock_due_count(connection: MiintoConnection, buffer: int = 0, full: bool = False) -> tuple[int, int]:
    """(items to send, in-feed items unchanged) in one query, so an idle run knows it has nothing to do."""
    listings = in_feed_listings(connection, buffer)
    if full:
        return listings.count(), 0
    different = Q(exported_stock__isnull=True) | ~Q(exported_stock=F("desired"))
    counts = listings.aggregate(everything=Count("pk"), due=Count("pk", filter=different))
    return counts["due"], counts["everything"] - counts["due"]


def stock_push(
    *,
    connection: MiintoConnection,
    client,
    buffer: int = 0,
    full: bool = False,
    on_total: Callable[[int], None] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    counted: tuple[int, int] | None = None,
) -> StockPushOutcome:
    """Push the deltas (or, when `full`, every in-feed item) batch by batch; each batch's outcome is committed on its own,
    so a failure part-way loses nothing already pushed and the next run sends only what is still different.

    An item Miinto does not know keeps its last exported stock (usually what the feed said), so it is pushed again once
    its stock changes or at the next full reassert, by when Miinto has normally read the feed. `counted` is
    `stock_due_count()`'s answer when the caller already has it.
    """
    due = _due(in_feed_listings(connection, buffer), full)
    outcome = StockPushOutcome(full=full)
    total, outcome.unchanged = counted or stock_due_count(connection, buffer, full)
    if on_total is not None:
        on_total(total)
    examples: list[dict] = []
    last_pk = 0
    while True:
        batch = list(due.filter(pk__gt=last_pk).select_related("product").order_by("pk")[:STOCK_BATCH_SIZE])
        if not batch:
            break
        last_pk = batch[-1].pk
        items = [StockItem(stock=listing.desired, **listing.product.stock_key()) for listing in batch]
        result = client.push_stock(connection.shop_id, items)
        unknown = {(key.group, key.brand, key.color, key.size) for key in result.unknown}
        now = timezone.now()
        updated = 0
        for listing, item in zip(batch, items, strict=True):
            if (item.group, item.brand, item.color, item.size) in unknown:
                listing.stock_problem = UNKNOWN_MESSAGE
                if len(examples) < EXAMPLES_KEPT:
                    examples.append({"product": listing.product_id, **item.key.model_dump()})
            else:
                listing.exported_stock, listing.exported_stock_at, listing.stock_problem = item.stock, now, ""
                updated += 1
        with transaction.atomic():
            ProductListing.objects.bulk_update(batch, ["exported_stock", "exported_stock_at", "stock_problem"])
        outcome.batches += 1
        outcome.sent += len(batch)
        outcome.updated += updated
        outcome.unknown += len(batch) - updated
        if on_batch is not None:
            on_batch(updated, len(batch) - updated)
    if outcome.unknown:
        problem_raise(
            merchant=connection.merchant,
            kind=UNKNOWN_ITEMS,
            message=f"{outcome.unknown} item(s) in the feed of {connection} are unknown to Miinto's stock API. "
            "Miinto may not have read the feed since they were added; the products page lists them under Mapping problems.",
            fingerprint=f"stock-unknown:{connection.pk}",
            connection=connection,
            excerpt={"examples": examples},
            subject_type="stock",
            subject_id=connection.pk,
        )
    return outcome
