"""REST API: reconciliation runs (list, start one now, read) and each run's findings (list, read, apply the fix)."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from connections.selectors import miinto_connections
from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin
from reconciliation import selectors, services
from reconciliation.kinds import FindingKind
from reconciliation.models import ReconciliationRun, RunStatus, RunTrigger
from reconciliation.serializers import FindingSerializer, ReconciliationRunCreateSerializer, ReconciliationRunSerializer


def actor_name(request) -> str:
    key = getattr(request.actor, "key", None)
    return f"api-key:{key.prefix}" if key is not None else f"user:{request.user.get_username()}"


class RunFilter(filters.FilterSet):
    connection = filters.NumberFilter(field_name="connection_id")
    status = filters.ChoiceFilter(choices=RunStatus.choices)

    class Meta:
        model = ReconciliationRun
        fields: list[str] = []


class ReconciliationRunViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Reconciliation runs, newest first; POST starts one now for a connection and period (Idempotency-Key honoured)."""

    serializer_class = ReconciliationRunSerializer
    filterset_class = RunFilter

    def merchant_queryset(self):
        return selectors.runs(self.merchant)

    @extend_schema(request=ReconciliationRunCreateSerializer, responses={201: ReconciliationRunSerializer})
    def create(self, request):
        payload = ReconciliationRunCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        connection = miinto_connections(self.merchant).filter(pk=data["connection"]).first()
        if connection is None:  # another merchant's id reads exactly like one that never existed
            raise ValidationError({"connection": ["No connection of yours has this id."]})
        run = services.reconciliation_start(
            merchant=self.merchant, connection=connection, period_start=data["period_start"], period_end=data["period_end"],
            trigger=RunTrigger.API, actor=actor_name(request),
        )  # fmt: skip
        return Response(ReconciliationRunSerializer(run).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("kind", str, enum=FindingKind.values, description="Only findings of this kind")])
)
class FindingViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """One run's findings, each with the objects it links and the fix it offers; POST …/fix/ applies that fix."""

    serializer_class = FindingSerializer

    def merchant_queryset(self):
        run = selectors.run(self.merchant, self.kwargs["run_pk"])
        return selectors.findings(self.merchant, run, self.request.query_params.get("kind"))

    @extend_schema(request=None, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def fix(self, request, run_pk=None, pk=None):
        """Apply the finding's fix through the outbox (a stuck row is retried, or the owning service queues one)."""
        finding = self.get_object()
        finding = services.finding_fix(finding=finding, by=actor_name(request))
        return Response(FindingSerializer(finding).data)


api_routes = [
    ("reconciliation-runs", ReconciliationRunViewSet, "reconciliation-run"),
    (r"reconciliation-runs/(?P<run_pk>\d+)/findings", FindingViewSet, "reconciliation-finding"),
]
