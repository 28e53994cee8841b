"""Reads for connections, always for one merchant; lookups of another merchant's ids raise Http404."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from connections import remote_choices
from connections.models import MiintoConnection, OrderConfiguration, Problem, ProblemState, StoreConnection


def miinto_connections(merchant, *, archived: bool | None = False) -> QuerySet[MiintoConnection]:
    """The merchant's Miinto connections; archived ones only when asked (`archived=True`, or `None` for all)."""
    connections = MiintoConnection.objects.filter(merchant=merchant).select_related("store_connection", "order_configuration")
    return connections if archived is None else connections.filter(archived_at__isnull=not archived)


def with_open_problems(connections: QuerySet[MiintoConnection]) -> QuerySet[MiintoConnection]:
    """Each connection with `open_problems`, counted on the open problems' own index: a join of every problem the
    connection ever had made each page that lists connections grow with the merchant's history."""
    open_problems = (
        Problem.objects.filter(connection=OuterRef("pk"), state=ProblemState.OPEN)
        .order_by()
        .values("connection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return connections.annotate(open_problems=Coalesce(Subquery(open_problems), 0))


def miinto_connection(merchant, pk) -> MiintoConnection:
    """One connection by id, archived or not (its page offers the restore)."""
    return get_object_or_404(miinto_connections(merchant, archived=None), pk=pk)


def store_connections(merchant, *, archived: bool | None = False) -> QuerySet[StoreConnection]:
    stores = StoreConnection.objects.filter(merchant=merchant)
    return stores if archived is None else stores.filter(archived_at__isnull=not archived)


def store_connection(merchant, pk) -> StoreConnection:
    return get_object_or_404(store_connections(merchant, archived=None), pk=pk)


def order_configuration(merchant, connection_pk) -> OrderConfiguration:
    return get_object_or_404(
        OrderConfiguration.objects.select_related("connection__store_connection"), merchant=merchant, connection_id=connection_pk
    )


def identifier_attribute_choices(store: StoreConnection | None) -> list[tuple[str, str]]:
    """The store's identifier attributes for a write's validation (cached, else asked now); `id` when it cannot answer."""
    return remote_choices.attributes_now(store)


def shipping_provider_choices(connection: MiintoConnection) -> list[tuple[str, str]]:
    """Miinto's shipping providers of the shop's market for a write's validation (cached, else asked now); empty when
    Miinto cannot answer."""
    return remote_choices.providers_now(connection)
