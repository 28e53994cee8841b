"""Problem links for order subjects: an order, its store push or decision push, all to the order page."""

from __future__ import annotations

from django.urls import reverse

from connections.problem_links import register_subject_links
from orders.models import DecisionPush, Order, StorePush

# What a link needs of an order: its ids, not the (encrypted) customer fields, decrypted 50 times for a page.
LINK_FIELDS = ("id", "miinto_id", "parent_order_id", "transfer_id")


def _order_link(order: Order) -> tuple[str, str]:
    return f"Miinto order {order.parent_order_id or order.miinto_id}", reverse("orders:detail", kwargs={"pk": order.transfer_id})


def _digits(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def orders(merchant, ids: list[str]) -> dict[str, tuple[str, str]]:
    found = Order.objects.filter(merchant=merchant, pk__in=_digits(ids), transfer__isnull=False).only(*LINK_FIELDS)
    return {str(o.pk): _order_link(o) for o in found}


def store_pushes(merchant, ids: list[str]) -> dict[str, tuple[str, str]]:
    found = StorePush.objects.filter(merchant=merchant, pk__in=_digits(ids), order__transfer__isnull=False).select_related("order")
    found = found.only("pk", *(f"order__{field}" for field in LINK_FIELDS))
    return {str(p.pk): _order_link(p.order) for p in found}


def decision_pushes(merchant, ids: list[str]) -> dict[str, tuple[str, str]]:
    found = DecisionPush.objects.filter(merchant=merchant, pk__in=_digits(ids)).select_related("transfer")
    found = found.only("pk", "transfer_id", "transfer__miinto_id")
    return {str(p.pk): (f"Miinto transfer {p.transfer.miinto_id}", reverse("orders:detail", kwargs={"pk": p.transfer_id})) for p in found}


def register() -> None:
    register_subject_links("order", orders)
    register_subject_links(StorePush._meta.label_lower, store_pushes)
    register_subject_links(DecisionPush._meta.label_lower, decision_pushes)
