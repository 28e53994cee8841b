"""Customer returns that reached us before their order: its orders run was still going, or lost its worker.

Each rma run ties such an RMA (and its lines) to the order once the order is here, and an accepted one gets its store
refund then. One that has waited `RMA_ORDER_WAIT_SECONDS` without its order goes to the merchant to refund by hand,
and is never pushed after that (`Rma.refund_by_hand_at`), so an order arriving later cannot bring a second refund.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from connections.models import MiintoConnection
from orders.models import Order, OrderLine
from rma.models import REFUND_PUSH_DECIDERS, Rma, RmaLine, RmaOrigin, RmaStatus
from rma.refunds import refund_after_acceptance


def _orphans(connection: MiintoConnection):
    # Served by the partial index rma_orphan_idx: only RMAs without an order are read.
    return Rma.objects.filter(connection=connection, order__isnull=True)


@transaction.atomic
def orphans_link(connection: MiintoConnection) -> int:
    """Tie RMAs whose order has arrived to it, and their lines to its lines; queue the refund of an accepted one.

    The RMAs are locked, so a decision being made at the same moment either sees the order or is seen here.
    """
    arrived = Order.objects.filter(connection=connection, miinto_id=OuterRef("miinto_order_id"))
    rmas = list(_orphans(connection).filter(Exists(arrived)).select_for_update(of=("self",)).select_related("connection"))
    if not rmas:
        return 0
    orders = {o.miinto_id: o for o in Order.objects.filter(connection=connection, miinto_id__in={r.miinto_order_id for r in rmas})}
    order_lines = {(line.order_id, line.miinto_position_id): line for line in OrderLine.objects.filter(order__in=list(orders.values()))}
    for rma in rmas:
        rma.order = orders[rma.miinto_order_id]
    Rma.objects.bulk_update(rmas, ["order"])
    lines = list(RmaLine.objects.filter(rma__in=rmas, order_line__isnull=True).select_related("rma"))
    for line in lines:
        line.order_line = order_lines.get((line.rma.order_id, line.miinto_position_id))
    RmaLine.objects.bulk_update([line for line in lines if line.order_line is not None], ["order_line"])
    for rma in rmas:
        refund_after_acceptance(rma)  # nothing unless accepted, ours to push, not pushed and not handed over
    return len(rmas)


@transaction.atomic
def orphans_hand_over(connection: MiintoConnection) -> int:
    """Accepted RMAs whose order has not come within the wait: the merchant is asked to enter the refund by hand."""
    waited = timezone.now() - timedelta(seconds=settings.RMA_ORDER_WAIT_SECONDS)
    rmas = list(
        _orphans(connection)
        .filter(origin=RmaOrigin.CUSTOMER, status=RmaStatus.ACCEPTED, decided_by__in=REFUND_PUSH_DECIDERS,
                refund_by_hand_at__isnull=True, refund_key__isnull=True, first_seen_at__lte=waited)
        .select_for_update(of=("self",))
        .select_related("connection")
    )
    for rma in rmas:
        refund_after_acceptance(rma)
    return len(rmas)
