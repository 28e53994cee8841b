"""REST API for RMAs: list and read RMAs, accept or decline with a reason, list store refunds, and manual RMA requests."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from koongo.api import MerchantViewSet
from koongo.day_ranges import FromDayFilter, ToDayFilter
from koongo.idempotency import IdempotentWritesMixin
from rma import selectors, services
from rma.api_settings import settings_api_routes
from rma.models import DecisionOutcome, RefundOrigin, Rma, RmaOrigin, RmaRequestPush, RmaStatus, StoreRefund, StoreRefundStatus
from rma.serializers import (
    RmaDecisionRequestSerializer,
    RmaRequestCreateSerializer,
    RmaRequestSerializer,
    RmaSerializer,
    StoreRefundSerializer,
)


def actor_name(request) -> str:
    key = getattr(request.actor, "key", None)
    return f"api-key:{key.prefix}" if key is not None else f"user:{request.user.get_username()}"


class RmaFilter(filters.FilterSet):
    # Plain id filters: an auto-generated ModelChoiceFilter would build a queryset at import time, outside any scope.
    connection = filters.NumberFilter(field_name="connection_id")
    order = filters.NumberFilter(field_name="order_id")
    status = filters.ChoiceFilter(choices=RmaStatus.choices)
    origin = filters.ChoiceFilter(choices=RmaOrigin.choices)
    decided_by = filters.CharFilter(field_name="decided_by")
    age = filters.ChoiceFilter(choices=[(key, label) for key, (label, _) in selectors.AGES.items()], method="by_age")
    created_after = FromDayFilter(field_name="created")
    created_before = ToDayFilter(field_name="created")
    miinto_id = filters.NumberFilter(field_name="miinto_id")

    class Meta:
        model = Rma
        fields: list[str] = []  # all declared above

    def by_age(self, queryset, name, value):
        return selectors.by_age(queryset, value)


class RmaViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Miinto returns with their lines, who decided them and why, and the store refund pushed for them."""

    serializer_class = RmaSerializer
    filterset_class = RmaFilter

    def merchant_queryset(self):
        return selectors.rma_list(self.merchant) if self.action == "list" else selectors.rmas(self.merchant)

    def _decide(self, request, outcome: str):
        rma = self.get_object()
        payload = RmaDecisionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.rma_decide(
            merchant=self.merchant, rma=rma, outcome=outcome, reason=payload.validated_data["reason"], actor=actor_name(request)
        )
        # Its push was queued on commit; the answer shows the RMA as decided here and the push's state.
        return Response(RmaSerializer(selectors.rma(self.merchant, rma.pk)).data)

    @extend_schema(request=RmaDecisionRequestSerializer, responses=RmaSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept the RMA with a reason; Miinto refunds the buyer and, on the selected platforms, the store refund follows."""
        return self._decide(request, DecisionOutcome.ACCEPTED)

    @extend_schema(request=RmaDecisionRequestSerializer, responses=RmaSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline the RMA with a reason; nothing changes in the store."""
        return self._decide(request, DecisionOutcome.DECLINED)


class StoreRefundFilter(filters.FilterSet):
    connection = filters.NumberFilter(field_name="connection_id")
    order = filters.NumberFilter(field_name="order_id")
    origin = filters.ChoiceFilter(choices=RefundOrigin.choices)
    status = filters.ChoiceFilter(choices=StoreRefundStatus.choices)

    class Meta:
        model = StoreRefund
        fields: list[str] = []


class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Refunds seen in the store on Miinto orders: ours (pushed for an RMA) and the store's own, with what became of them."""

    serializer_class = StoreRefundSerializer
    filterset_class = StoreRefundFilter

    def merchant_queryset(self):
        return selectors.store_refunds(self.merchant)


class OrderRmaRequestViewSet(IdempotentWritesMixin, mixins.ListModelMixin, MerchantViewSet):
    """RMA requests of one order; POST asks Miinto for an RMA with the given lines (goods returned without an RMA)."""

    serializer_class = RmaRequestSerializer

    def merchant_queryset(self):
        order = selectors.order(self.merchant, self.kwargs["order_pk"])
        return RmaRequestPush.objects.filter(merchant=self.merchant, order=order).select_related("rma", "store_refund")

    @extend_schema(request=RmaRequestCreateSerializer, responses={201: RmaRequestSerializer})
    def create(self, request, order_pk=None):
        order = selectors.order(self.merchant, order_pk)
        payload = RmaRequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quantities: dict[int, int] = {}
        for line in payload.validated_data["lines"]:
            quantities[line["miinto_position_id"]] = quantities.get(line["miinto_position_id"], 0) + line["quantity"]
        push = services.rma_request_create(
            merchant=self.merchant, order=order, quantities=quantities, reason=payload.validated_data.get("reason", ""),
            actor=actor_name(request),
        )
        push = RmaRequestPush.objects.select_related("rma", "store_refund").get(pk=push.pk)
        return Response(RmaRequestSerializer(push).data, status=status.HTTP_201_CREATED)


api_routes = [
    ("rmas", RmaViewSet, "rma"),
    ("refunds", RefundViewSet, "refund"),
    (r"orders/(?P<order_pk>\d+)/rma-requests", OrderRmaRequestViewSet, "order-rma-request"),
    *settings_api_routes,
]
