"""Our database's side of a run, loaded in bulk: a constant number of queries however many orders the period holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from catalog.models import ProductListing
from connections.models import MiintoConnection
from orders.models import Order, OrderLine, Position, PositionStatus, StorePush, Transfer
from orders.shipments.models import Shipment
from rma.models import RefundPush, Rma, RmaRequestPush, RmaStatus, StoreRefund


@dataclass
class OurRecords:
    orders: dict[int, Order] = field(default_factory=dict)  # by Miinto order id
    by_store_id: dict[str, Order] = field(default_factory=dict)  # by store order id
    lines: dict[int, list[OrderLine]] = field(default_factory=dict)  # by our order pk
    store_pushes: dict[int, StorePush] = field(default_factory=dict)  # the latest create push per our order pk
    accepted_positions: dict[int, Position] = field(default_factory=dict)  # by Miinto position id
    shipments: dict[str, Shipment] = field(default_factory=dict)  # by store shipment id
    rmas: dict[int | None, list[Rma]] = field(default_factory=dict)  # not declined, by our order pk (None: no order here)
    refund_pushes: dict[int, RefundPush] = field(default_factory=dict)  # by RMA pk
    store_refunds: dict[str, StoreRefund] = field(default_factory=dict)  # by store refund id
    request_pushes: dict[str, RmaRequestPush] = field(default_factory=dict)  # by store refund request key
    listings: list[ProductListing] = field(default_factory=list)


def transfers_to_read(connection: MiintoConnection, decided_ids: list[int]) -> list[int]:
    """Of the period's decided transfers, those whose details can matter: ones we accepted a position of (a decline
    there contradicts a store order) and ones we never saw (their orders exist only in Miinto). One query."""
    known = dict(
        Transfer.objects.filter(connection=connection, miinto_id__in=decided_ids)
        .annotate(accepted=Exists(Position.objects.filter(transfer=OuterRef("pk"), status=PositionStatus.ACCEPTED)))
        .values_list("miinto_id", "accepted")
    )
    return [i for i in decided_ids if known.get(i, True)]


def listings_in_feed(connection: MiintoConnection) -> list[ProductListing]:
    """In-feed listings whose stock Miinto has been told, with their product's SKU."""
    return list(
        ProductListing.objects.filter(connection=connection, in_feed=True, exported_stock__isnull=False)
        .exclude(product__sku="")
        .select_related("product")
        .order_by("pk")
    )


def our_records(connection: MiintoConnection, *, miinto_order_ids, miinto_return_ids, store_order_ids, store_shipment_ids,
                store_refund_ids, declined_position_ids, listings) -> OurRecords:
    """Everything the checks compare against, each kind of row in one query."""
    ours = OurRecords(listings=listings)
    orders = Order.objects.filter(connection=connection).filter(
        Q(miinto_id__in=set(miinto_order_ids)) | Q(store_order_id__in=set(store_order_ids) - {""})
    )
    for order in orders:
        ours.orders[order.miinto_id] = order
        if order.store_order_id:
            ours.by_store_id[order.store_order_id] = order
    pks = [o.pk for o in ours.orders.values()]
    for line in OrderLine.objects.filter(order_id__in=pks).order_by("pk"):
        ours.lines.setdefault(line.order_id, []).append(line)
    for push in StorePush.objects.filter(order_id__in=pks, kind="create_order").order_by("pk"):
        ours.store_pushes[push.order_id] = push
    positions = Position.objects.filter(
        connection=connection, miinto_id__in=set(declined_position_ids), status=PositionStatus.ACCEPTED
    ).select_related("order_line__order")
    ours.accepted_positions = {p.miinto_id: p for p in positions}
    shipments = Shipment.objects.filter(connection=connection, store_shipment_id__in=set(store_shipment_ids)).select_related("push")
    ours.shipments = {s.store_shipment_id: s for s in shipments}
    rmas = Rma.objects.filter(connection=connection).filter(Q(order_id__in=pks) | Q(miinto_id__in=set(miinto_return_ids)))
    for rma in rmas.exclude(status=RmaStatus.DECLINED).select_related("order").order_by("pk"):
        ours.rmas.setdefault(rma.order_id, []).append(rma)
    rma_pks = [r.pk for rmas in ours.rmas.values() for r in rmas]
    ours.refund_pushes = {p.rma.pk: p for p in RefundPush.objects.filter(rma__pk__in=rma_pks).select_related("rma")}
    refunds = StoreRefund.objects.filter(connection=connection, store_refund_id__in=set(store_refund_ids))
    ours.store_refunds = {r.store_refund_id: r for r in refunds}
    keys = [r.request_key for r in ours.store_refunds.values() if r.request_key]
    ours.request_pushes = {p.store_refund_id: p for p in RmaRequestPush.objects.filter(store_refund_id__in=keys)}
    return ours
