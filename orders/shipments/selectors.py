"""Reads for shipments, labels, comments and carrier mappings; each takes the merchant and 404s on foreign ids."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from connections import clients
from orders.models import CarrierMapping, LabelLink, Order, OrderComment, Shipment, ShipmentSource
from orders.shipments.carrier_mapping import Provider

PROVIDERS_TTL = 600


def order(merchant, pk) -> Order:
    return get_object_or_404(Order.objects.filter(merchant=merchant).select_related("connection__order_configuration"), pk=pk)


def shipments(merchant, order: Order) -> QuerySet[Shipment]:
    return Shipment.objects.filter(merchant=merchant, order=order).select_related("push").order_by("-created_at", "-pk")


def label_links(merchant, order: Order | None = None) -> QuerySet[LabelLink]:
    links = LabelLink.objects.filter(merchant=merchant).select_related("label", "note_push")
    return links.filter(label__order=order) if order is not None else links


def label_link(merchant, pk) -> LabelLink:
    return get_object_or_404(label_links(merchant).select_related("label__order"), pk=pk)


def comments(merchant, order: Order) -> QuerySet[OrderComment]:
    return OrderComment.objects.filter(merchant=merchant, order=order).select_related("label_link").order_by("created_at", "pk")


def carrier_mappings(merchant, connection=None) -> QuerySet[CarrierMapping]:
    found = CarrierMapping.objects.filter(merchant=merchant).select_related("connection")
    return found.filter(connection=connection) if connection is not None else found


def carrier_mapping(merchant, pk) -> CarrierMapping:
    return get_object_or_404(carrier_mappings(merchant), pk=pk)


def carriers_seen(merchant, connection) -> list[str]:
    """The carrier names the store has reported on this connection, for the mapping page."""
    names = Shipment.objects.filter(merchant=merchant, connection=connection, source=ShipmentSource.STORE).exclude(carrier="")
    return sorted(set(names.values_list("carrier", flat=True)), key=str.lower)


def order_providers(order: Order, *, fresh: bool = False) -> list[Provider]:
    """Miinto's providers for the order, cached a few minutes; raises the client's HttpError when Miinto cannot answer."""
    from orders.shipments.services import order_providers as fetch

    key = f"miinto-order-providers:{order.connection_id}:{order.miinto_id}"
    cached = None if fresh else cache.get(key)
    if cached is None:
        with clients.miinto_client(order.connection) as client:
            cached = [(p.id, p.name) for p in fetch(client, order.connection, order)]
        cache.set(key, cached, PROVIDERS_TTL)
    return [Provider(provider_id, name) for provider_id, name in cached]
