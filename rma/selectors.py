"""Reads for RMAs and refunds, always for one merchant: lists with filters, one object or 404, and what needs attention."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import ActivityEntry, Problem, ProblemState
from koongo.counts import bounded_count
from orders.models import Order
from rma import problems
from rma.decisions import ACTIVE_PUSH_STATES
from rma.models import Rma as RmaModel
from rma.models import RmaDigestOptOut, RmaLine, RmaRequestPush, RmaStatus, StoreRefund
from rma.scope import refund_sync_scope, rma_scope

AGES = {
    "1": (_("Last 24 hours"), 1),
    "7": (_("Last 7 days"), 7),
    "30": (_("Last 30 days"), 30),
    "older": (_("Older than 30 days"), 30),
}


def rmas(merchant) -> QuerySet[RmaModel]:
    """RMAs with their lines, connection, order and outbox rows: a constant number of queries per page."""
    return (
        RmaModel.objects.filter(merchant=merchant)
        .select_related("connection", "order", "decision_push", "refund_push", "request_push")
        .prefetch_related(Prefetch("lines", queryset=RmaLine.objects.select_related("order_line").order_by("pk")))
        .annotate(created=Coalesce("created_at_miinto", "first_seen_at"))
    )


# What the API's RMA list writes of each row: no raw payload, and of the connection only its market. Loading the whole
# connection decrypted its Miinto password and channel id for every RMA of the page.
RMA_LIST_COLUMNS = (
    "miinto_id", "miinto_order_id", "order_id", "connection_id", "connection__market", "origin", "status", "currency",
    "amount", "reason", "customer_comment", "decided_by", "decision_reason", "actor", "created_at_miinto", "decided_at",
    "first_seen_at", "refund_key",
    *(f"decision_push__{c}" for c in ("rma_id", "outcome", "reason", "decided_by", "actor", "state", "attempts", "last_error",
                                     "created_at", "done_at")),
    *(f"refund_push__{c}" for c in ("rma_id", "state", "attempts", "last_error", "restock", "result", "created_at", "done_at")),
)  # fmt: skip


def rma_list(merchant) -> QuerySet[RmaModel]:
    """The API's RMA list: the columns its serializer writes, lines with their SKU, in a constant number of queries."""
    lines = RmaLine.objects.select_related("order_line").only(
        "rma_id", "miinto_id", "miinto_position_id", "quantity", "unit_price", "amount", "reason", "order_line__sku"
    )
    return (
        RmaModel.objects.filter(merchant=merchant)
        .select_related("connection", "decision_push", "refund_push")
        .only(*RMA_LIST_COLUMNS)
        .prefetch_related(Prefetch("lines", queryset=lines.order_by("pk")))
        .annotate(created=Coalesce("created_at_miinto", "first_seen_at"))
    )


def rmas_filtered(merchant, params) -> QuerySet[RmaModel]:
    """The dashboard's filters (the API has its FilterSet): status, connection, origin, age and order."""
    found = rmas(merchant)
    if params.get("status") in RmaStatus.values:
        found = found.filter(status=params["status"])
    if str(params.get("connection") or "").isdigit():
        found = found.filter(connection_id=int(params["connection"]))
    if params.get("origin") in ("customer", "merchant"):
        found = found.filter(origin=params["origin"])
    if str(params.get("order") or "").isdigit():
        found = found.filter(order_id=int(params["order"]))
    return by_age(found, params.get("age")).order_by("-pk")


def by_age(found: QuerySet[RmaModel], age: str | None) -> QuerySet[RmaModel]:
    """RMAs created within the last 1, 7 or 30 days, or longer than 30 days ago."""
    if age not in AGES:
        return found
    since = timezone.now() - timedelta(days=AGES[age][1])
    return found.filter(created__lt=since) if age == "older" else found.filter(created__gte=since)


def rma(merchant, pk) -> RmaModel:
    return get_object_or_404(rmas(merchant), pk=pk)


def store_refunds(merchant) -> QuerySet[StoreRefund]:
    return StoreRefund.objects.filter(merchant=merchant).select_related(
        "connection", "store_connection", "order", "rma", "request_push"
    )


def store_refund(merchant, pk) -> StoreRefund:
    return get_object_or_404(store_refunds(merchant), pk=pk)


def order(merchant, pk) -> Order:
    return get_object_or_404(Order.objects.filter(merchant=merchant).select_related("connection").prefetch_related("lines"), pk=pk)


def request_push(merchant, pk) -> RmaRequestPush:
    return get_object_or_404(RmaRequestPush.objects.filter(merchant=merchant).select_related("order", "rma"), pk=pk)


def pending_rmas_of(merchant, order_id) -> list[RmaModel]:
    return list(rmas(merchant).filter(order_id=order_id, status=RmaStatus.PENDING).order_by("pk"))


def open_problems(merchant, subject_type: str, ids) -> dict[str, list[Problem]]:
    return problems.open_problems(merchant, subject_type, ids)


def communications(merchant, subjects: list[tuple[str, list]]) -> QuerySet[ActivityEntry]:
    """Every call filed under any of the (subject type, ids) pairs, newest first."""
    condition = Q(pk__in=[])
    for subject_type, ids in subjects:
        if ids:
            condition |= Q(subject_type=subject_type, subject_id__in=[str(i) for i in ids])
    return ActivityEntry.objects.filter(merchant=merchant).filter(condition).order_by("-created_at", "-pk")[:200]


def order_tab(merchant, order: Order | None) -> dict:
    """The order page's RMA and Refunds tabs: the order's RMAs, refunds and requests, their open problems and calls."""
    if order is None:
        return {"order": None}
    order_rmas = list(rmas(merchant).filter(order=order).order_by("-pk"))
    refunds = list(store_refunds(merchant).filter(order=order).order_by("-created_at_store", "-pk"))
    requests = list(RmaRequestPush.objects.filter(merchant=merchant, order=order).select_related("rma", "store_refund").order_by("-pk"))
    return {
        "order": order,
        "rmas": order_rmas,
        "store_refunds": refunds,
        "requests": requests,
        "rma_problems": open_problems(merchant, problems.SUBJECT_RMA, [r.pk for r in order_rmas]),
        "refund_problems": open_problems(merchant, problems.SUBJECT_STORE_REFUND, [r.pk for r in refunds]),
        "request_problems": open_problems(merchant, problems.SUBJECT_REQUEST, [r.pk for r in requests]),
        "rma_activity": communications(merchant, [(problems.SUBJECT_RMA, [r.pk for r in order_rmas])]),
        "refund_activity": communications(merchant, [(problems.SUBJECT_ORDER_REFUNDS, [order.pk])]),
    }


def needs_attention(merchant) -> dict:
    """Pending RMAs (newest first) and every open RMA problem: manual refunds, back-office RMAs, unmatched refunds."""
    pending = list(rmas(merchant).filter(status=RmaStatus.PENDING).order_by("-created", "-pk")[:500])
    open_items = list(
        Problem.objects.filter(merchant=merchant, state=ProblemState.OPEN, kind__in=list(problems.LABELS))
        .select_related("connection")
        .order_by("-created_at", "-pk")[:500]
    )
    for problem in open_items:
        problem.label = problems.LABELS[problem.kind]
    return {"pending": pending, "problems": open_items}


def digest_opted_out(merchant, user) -> bool:
    return RmaDigestOptOut.objects.filter(merchant=merchant, user=user).exists()


def overview_context(merchant) -> dict:
    """The overview panel: RMAs waiting for a decision and Needs-attention items."""
    pending = bounded_count(RmaModel.objects.filter(merchant=merchant, status=RmaStatus.PENDING))
    attention = bounded_count(Problem.objects.filter(merchant=merchant, state=ProblemState.OPEN, kind__in=list(problems.LABELS)))
    return {"pending": pending, "attention": attention}


def connection_scopes(connection) -> dict:
    """What RMA and refund sync can do for this connection (the CN shop, the store's platform), for the pages."""
    return {"scope": rma_scope(connection), "refund_scope": refund_sync_scope(connection)}


def decision_in_flight(rma) -> bool:
    """A decision on its way blocks another; one that failed for good may be made again."""
    push = getattr(rma, "decision_push", None)
    return push is not None and push.state in ACTIVE_PUSH_STATES
