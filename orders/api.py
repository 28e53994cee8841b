"""REST API for orders: orders and transfers with filters, and manual decisions per position or per transfer."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from koongo.api import MerchantViewSet
from koongo.day_ranges import FromDayFilter, ToDayFilter
from koongo.idempotency import IdempotentWritesMixin
from orders import selectors
from orders.decisions import positions_decide
from orders.models import Order, OrderStatus, Position, PositionStatus
from orders.serializers import (
    DecideRequestSerializer,
    OrderSerializer,
    OrderSummarySerializer,
    PositionSerializer,
    PositionSummarySerializer,
    TransferDecideSerializer,
    TransferSerializer,
    TransferSummarySerializer,
)


def actor_name(request) -> str:
    key = getattr(request.actor, "key", None)
    return f"api-key:{key.prefix}" if key is not None else f"user:{request.user.get_username()}"


class OrderFilter(filters.FilterSet):
    # Plain id filters: an auto-generated ModelChoiceFilter would build a queryset at import time, outside any scope.
    connection = filters.NumberFilter(field_name="connection_id")
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    market = filters.CharFilter(field_name="connection__market", lookup_expr="iexact")
    created_after = FromDayFilter(field_name="created_at")
    created_before = ToDayFilter(field_name="created_at")
    q = filters.CharFilter(method="search", label="Miinto id, customer or SKU")

    class Meta:
        model = Order
        fields: list[str] = []  # all declared above

    def search(self, queryset, name, value):
        from django.db.models import Q

        text = Q(customer_name__icontains=value) | Q(customer_email__icontains=value) | Q(lines__sku__iexact=value)
        if value.isdigit():
            text |= Q(miinto_id=int(value)) | Q(parent_order_id=int(value))
        return queryset.filter(text).distinct()


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Miinto orders with their lines and the decision behind each line."""

    serializer_class = OrderSerializer
    list_serializer_class = OrderSummarySerializer
    filterset_class = OrderFilter

    def merchant_queryset(self):
        if self.action == "list":  # plain rows, rendered by OrderSummarySerializer's list serializer
            return selectors.order_list_rows(self.merchant)
        return selectors.orders(self.merchant)


class TransferViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Transfers (Miinto's offers) with their positions and decisions; `needs_attention=true` lists undecided ones."""

    serializer_class = TransferSerializer
    list_serializer_class = TransferSummarySerializer

    def merchant_queryset(self):
        listed = selectors.transfer_summaries(self.merchant) if self.action == "list" else None
        return selectors.transfers_filtered(self.merchant, self.request.query_params, listed)

    @extend_schema(request=TransferDecideSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Accept and decline positions of this transfer in one call."""
        transfer = self.get_object()
        payload = TransferDecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        by_id = {p.miinto_id: p for p in transfer.positions.all()}
        unknown = [i for i in payload.validated_data["accept"] + payload.validated_data["decline"] if i not in by_id]
        if unknown:
            raise ValidationError({"accept": [f"Not positions of this transfer: {unknown}"]})
        actor, reason = actor_name(request), payload.validated_data.get("reason", "")
        for outcome, ids in (("accept", payload.validated_data["accept"]), ("decline", payload.validated_data["decline"])):
            if ids:
                positions_decide(merchant=self.merchant, positions=[by_id[i] for i in ids], outcome=outcome, actor=actor, reason=reason)
        # The decision's push was queued on commit; the answer's `decision_push` says how far it got.
        return Response(TransferSerializer(selectors.transfer(self.merchant, transfer.pk)).data)


class PositionFilter(filters.FilterSet):
    connection = filters.NumberFilter(field_name="connection_id")
    status = filters.ChoiceFilter(choices=PositionStatus.choices)

    class Meta:
        model = Position
        fields: list[str] = []


class PositionViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Positions; accept or decline a pending one."""

    serializer_class = PositionSerializer
    list_serializer_class = PositionSummarySerializer
    filterset_class = PositionFilter

    def merchant_queryset(self):
        return selectors.positions(self.merchant).order_by("-pk")

    def _decide(self, request, outcome):
        position = self.get_object()
        payload = DecideRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if position.status != PositionStatus.PENDING:
            raise ValidationError({"status": [f"Position {position.miinto_id} is already {position.status}; a position is decided exactly once."]})
        positions_decide(merchant=self.merchant, positions=[position], outcome=outcome, actor=actor_name(request), reason=payload.validated_data.get("reason", ""))
        return Response(PositionSerializer(Position.objects.select_related("decision", "product", "transfer").get(pk=position.pk)).data)

    @extend_schema(request=DecideRequestSerializer, responses=PositionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._decide(request, "accept")

    @extend_schema(request=DecideRequestSerializer, responses=PositionSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._decide(request, "decline")


api_routes = [
    ("orders", OrderViewSet, "order"),
    ("transfers", TransferViewSet, "transfer"),
    ("positions", PositionViewSet, "position"),
]

from orders.shipments.api import shipment_api_routes  # noqa: E402

api_routes += shipment_api_routes
