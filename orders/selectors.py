"""Reads for orders: the transfer list with filters and search, one transfer's page, and what needs attention."""

from __future__ import annotations

import heapq
import itertools
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from connections.models import ActivityEntry
from koongo.compiled_rows import CompiledRows
from koongo.counts import bounded_count
from koongo.day_ranges import merchant_zone, on_or_after, on_or_before
from orders.models import Decision, Order, OrderLine, Position, PositionStatus, Transfer


def _pending_exists():
    return Exists(Position.objects.filter(transfer=OuterRef("pk"), status=PositionStatus.PENDING))


def transfers(merchant) -> QuerySet[Transfer]:
    """Transfers with their positions, decisions and order prefetched: a constant number of queries per page."""
    return (
        Transfer.objects.filter(merchant=merchant)
        .select_related("connection")
        .annotate(needs_attention=_pending_exists())
        .prefetch_related(
            Prefetch("positions", queryset=Position.objects.select_related("decision", "product").order_by("pk")),
            Prefetch("orders", queryset=Order.objects.order_by("pk")),
        )
    )


def transfer_list(merchant) -> QuerySet[Transfer]:
    """The dashboard's order list: only the columns its rows show, without raw payloads, decisions or products.

    Building every position's decision and product, and decoding each row's JSON, was most of the page's CPU.
    """
    order_columns = ("transfer_id", "miinto_id", "parent_order_id", "customer_name", "store_order_id", "store_order_name")
    return (
        Transfer.objects.filter(merchant=merchant)
        .select_related("connection")
        .only("miinto_id", "created_at_miinto", "connection__market")
        .annotate(needs_attention=_pending_exists())
        .prefetch_related(
            # Plain lists (`to_attr`): the template reads them without cloning a queryset per row.
            Prefetch("positions", queryset=Position.objects.only("transfer_id", "status").order_by("pk"), to_attr="position_list"),
            Prefetch("orders", queryset=Order.objects.only(*order_columns).order_by("pk"), to_attr="order_list"),
        )
    )


def transfers_filtered(merchant, params, found: QuerySet[Transfer] | None = None) -> QuerySet[Transfer]:
    """The dashboard and API filters on `found` (default `transfers`): connection, status, market, date range, needs
    attention, and a search."""
    found = transfers(merchant) if found is None else found
    if params.get("connection"):
        found = found.filter(connection_id=params["connection"])
    if params.get("market"):
        found = found.filter(connection__market=params["market"].upper())
    status = params.get("status")
    if status == "pending" or params.get("needs_attention") in ("1", "true"):
        found = found.filter(needs_attention=True)
    elif status in ("accepted", "declined"):
        # EXISTS, not a join: a join repeats each transfer per position and needs DISTINCT, a sort of every match.
        found = found.filter(Exists(Position.objects.filter(transfer=OuterRef("pk"), status=status)))
    elif status == "in_store":
        found = found.filter(Exists(Order.objects.filter(transfer=OuterRef("pk"), status="in_store")))
    zone = merchant_zone(merchant)
    found = found.filter(on_or_after("created_at_miinto", params.get("date_from"), zone))
    found = found.filter(on_or_before("created_at_miinto", params.get("date_to"), zone))
    query = (params.get("q") or "").strip()
    if query:
        text = Q(orders__customer_name__icontains=query) | Q(orders__customer_email__icontains=query) | Q(positions__product__sku__iexact=query)
        if query.isdigit():
            text |= Q(miinto_id=int(query)) | Q(orders__miinto_id=int(query)) | Q(orders__parent_order_id=int(query))
        found = found.filter(text).distinct()
    return found.order_by("-pk")


def transfer(merchant, pk) -> Transfer:
    return get_object_or_404(transfers(merchant), pk=pk)


def orders(merchant) -> QuerySet[Order]:
    return (
        Order.objects.filter(merchant=merchant)
        .select_related("connection", "transfer")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("position__decision").order_by("pk")))
    )


# The API order list's columns: no raw payload, and the market read through the join instead of a whole connection row.
ORDER_LIST_COLUMNS = (
    "pk", "miinto_id", "parent_order_id", "connection", "transfer", "currency", "status", "created_at_miinto", "created_at",
    "customer_name", "customer_email", "customer_phone", "billing_address", "shipping_address", "delivery_address",
    "delivery_type", "delivery_provider_id", "shipping_method", "warnings", "store_order_id", "store_order_name",
)  # fmt: skip
ORDER_LINE_COLUMNS = ("order_id", "miinto_position_id", "product", "sku", "gtin", "title", "quantity", "unit_price")
DECISION_COLUMNS = ("outcome", "reason", "decided_by", "actor", "created_at", "sent_at")


def transfer_summaries(merchant) -> QuerySet[Transfer]:
    """The API's transfer list: positions without Miinto's raw item, decisions without their inputs, products as their
    SKU, all as plain lists (`to_attr`); the raw payloads stay in the detail view."""
    position_columns = (
        "transfer_id", "miinto_id", "quantity", "unit_price", "currency", "gtin", "product_id", "status", "wait_reason",
        "product__sku", *(f"decision__{c}" for c in DECISION_COLUMNS),
    )  # fmt: skip
    positions = Position.objects.select_related("decision", "product").only(*position_columns).order_by("pk")
    return (
        Transfer.objects.filter(merchant=merchant)
        .only("miinto_id", "connection_id", "created_at_miinto", "first_seen_at", "new_order_id")
        .annotate(needs_attention=_pending_exists())
        .prefetch_related(
            Prefetch("positions", queryset=positions, to_attr="position_list"),
            Prefetch("orders", queryset=Order.objects.only("transfer_id").order_by("pk"), to_attr="order_list"),
        )
    )


def order_list_rows(merchant) -> QuerySet:
    """The API's order list as plain rows (dicts): building 300 model instances a page was most of its time."""
    return Order.objects.filter(merchant=merchant).values(*ORDER_LIST_COLUMNS, market=F("connection__market"))


def _order_lines_query(merchant_id: int, order_ids: list[int]) -> QuerySet:
    # The tenant is an argument (CompiledRows refuses the scoped manager's filter, which it would compile in).
    decision = {f"decision_{c}": F(f"position__decision__{c}") for c in ("id", *DECISION_COLUMNS)}
    lines = OrderLine._base_manager.filter(merchant_id=merchant_id, order_id__in=order_ids)
    return lines.order_by("pk").values(*ORDER_LINE_COLUMNS, **decision)


_order_lines = CompiledRows(_order_lines_query)


def order_lines_rows(merchant, order_ids: list[int]) -> dict[int, list[dict]]:
    """The lines of these orders with their decision's summary columns (`decision_*`), one query, by order id."""
    found: dict[int, list[dict]] = {}
    if order_ids:
        for row in _order_lines(merchant_id=merchant.pk, order_ids=order_ids):
            found.setdefault(row["order_id"], []).append(row)
    return found


def order(merchant, pk) -> Order:
    return get_object_or_404(orders(merchant), pk=pk)


def positions(merchant) -> QuerySet[Position]:
    return Position.objects.filter(merchant=merchant).select_related("transfer", "connection", "decision", "product")


def needs_attention(merchant) -> QuerySet[Position]:
    """Pending positions waiting for a human, newest first like every list (each row says how long it has waited)."""
    return positions(merchant).filter(status=PositionStatus.PENDING).order_by("-transfer__created_at_miinto", "-pk")


def communications(merchant, transfer: Transfer) -> list[ActivityEntry]:
    """Every call about this transfer or its orders, newest first."""
    # One read per subject, each in the order of the subject index, merged here: an OR of the subjects made the
    # database gather and sort them all first.
    limit = 200
    entries = ActivityEntry.objects.filter(merchant=merchant).order_by("-created_at", "-pk")
    reads = [entries.filter(subject_type="transfer", subject_id=str(transfer.miinto_id), connection_id=transfer.connection_id)[:limit]]
    reads += [entries.filter(subject_type="order", subject_id=str(order.pk))[:limit] for order in transfer.orders.all()]
    newest_first = heapq.merge(*(list(read) for read in reads), key=lambda e: (e.created_at, e.pk), reverse=True)
    return list(itertools.islice(newest_first, limit))


def orders_per_day(merchant, days: int = 30) -> list[tuple[str, int]]:
    since = timezone.now() - timedelta(days=days)
    rows = Order.objects.filter(merchant=merchant, created_at__gte=since).annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("pk")).order_by("day")
    return [(row["day"].isoformat(), row["n"]) for row in rows]


def decisions_by_reason(merchant, days: int = 30) -> list[tuple[str, str, int]]:
    since = timezone.now() - timedelta(days=days)
    rows = Decision.objects.filter(merchant=merchant, created_at__gte=since).values("outcome", "reason").annotate(n=Count("pk")).order_by("outcome", "-n")
    return [(row["outcome"], row["reason"], row["n"]) for row in rows]


def overview_context(merchant) -> dict:
    """The overview panel: orders per day, decisions by reason, and how many positions wait for a human."""
    from orders.reasons import grouped_by_label

    return {"per_day": orders_per_day(merchant), "by_reason": grouped_by_label(decisions_by_reason(merchant)),
            "waiting": bounded_count(needs_attention(merchant))}
