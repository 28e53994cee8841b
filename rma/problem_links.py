"""Problem links for RMA subjects: the RMA page, the store refund page, and the order page for an order's refunds."""

from __future__ import annotations

from django.urls import reverse

from connections.problem_links import register_subject_links
from orders.problem_links import orders
from rma import problems
from rma.models import Rma, StoreRefund


def _digits(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def rmas(merchant, ids: list[str]) -> dict[str, tuple[str, str]]:
    return {str(r.pk): (str(r), reverse("rma:detail", kwargs={"pk": r.pk})) for r in Rma.objects.filter(merchant=merchant, pk__in=_digits(ids))}


def store_refunds(merchant, ids: list[str]) -> dict[str, tuple[str, str]]:
    found = StoreRefund.objects.filter(merchant=merchant, pk__in=_digits(ids))
    return {str(r.pk): (f"store refund {r.pk}", reverse("rma:store-refund", kwargs={"pk": r.pk})) for r in found}


def register() -> None:
    register_subject_links(problems.SUBJECT_RMA, rmas)
    register_subject_links(problems.SUBJECT_STORE_REFUND, store_refunds)
    register_subject_links(problems.SUBJECT_ORDER_REFUNDS, orders)
