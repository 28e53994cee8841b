"""REST API of the sync machinery: starting a run of any flow, sync runs, activity and the errors inbox with its actions.

`sync_api_routes` are mounted by connections/api.py, whose Miinto connection viewset takes `SyncStartMixin`
(`POST /api/v1/miinto-connections/{id}/sync/`); the run is then followed at `GET /api/v1/sync-runs/{id}/`.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from connections.models import ActivityEntry, Direction, Flow, Problem, ProblemState, RunStatus, SyncRun, Trigger
from connections.sync import selectors
from connections.sync.problems import PROBLEM_ACTIONS, ProblemActionRefused, problem_kinds, problem_retry_all
from connections.sync.runs import SyncRefused, sync_request
from koongo.accounts.api_auth import ApiKeyPrincipal
from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin


def actor_name(request) -> str:
    """Who acted, for a problem's `resolved_by`: the user's name, or the API key's name and prefix."""
    if isinstance(request.actor, ApiKeyPrincipal):
        return f"API key {request.actor.key.name} ({request.actor.key.prefix})"
    return request.user.get_username()


class SyncRunSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connection",
            "flow",
            "trigger",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "total",
            "seen",
            "accepted",
            "declined",
            "pushed",
            "skipped",
            "failed",
            "progress_percent",
            "error_summary",
        ]
        read_only_fields = fields


class ActivityEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityEntry
        fields = [
            "id",
            "connection",
            "store_connection",
            "run",
            "subject_type",
            "subject_id",
            "direction",
            "operation",
            "ok",
            "http_status",
            "duration_ms",
            "correlation_id",
            "method",
            "url",
            "payload",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class ActivityEntrySummarySerializer(ActivityEntrySerializer):
    """An entry in the log's list: without the payload excerpt (the detail view has it)."""

    class Meta(ActivityEntrySerializer.Meta):
        fields = [f for f in ActivityEntrySerializer.Meta.fields if f != "payload"]
        read_only_fields = fields


class ProblemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Problem
        fields = [
            "id",
            "kind",
            "connection",
            "store_connection",
            "message",
            "excerpt",
            "subject_type",
            "subject_id",
            "state",
            "occurrences",
            "created_at",
            "updated_at",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields


class ProblemSummarySerializer(ProblemSerializer):
    """A problem in the inbox list: without the payload excerpt (the detail view has it)."""

    class Meta(ProblemSerializer.Meta):
        fields = [f for f in ProblemSerializer.Meta.fields if f != "excerpt"]
        read_only_fields = fields


class RetryAllSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The problem kind to retry, e.g. outbox_dead")

    def validate_kind(self, value):
        kind = problem_kinds().get(value)
        if kind is None:
            raise serializers.ValidationError(_("Unknown problem kind %(kind)s.") % {"kind": repr(value)})
        if not kind.retryable:
            raise serializers.ValidationError(_("%(kind)s problems cannot be retried.") % {"kind": kind.label})
        return value


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id filter, documented as an integer (NumberFilter alone reads as a float in the schema)."""


class SyncRunFilter(django_filters.FilterSet):
    connection = IdFilter(field_name="connection_id")
    flow = django_filters.ChoiceFilter(choices=Flow.choices)
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)

    class Meta:
        model = SyncRun
        fields = ["connection", "flow", "status"]


class ActivityFilter(django_filters.FilterSet):
    connection = IdFilter(field_name="connection_id")
    run = IdFilter(field_name="run_id")
    subject_type = django_filters.CharFilter()
    subject_id = django_filters.CharFilter()
    direction = django_filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = ActivityEntry
        fields = ["connection", "run", "subject_type", "subject_id", "direction"]


class ProblemFilter(django_filters.FilterSet):
    connection = IdFilter(field_name="connection_id")
    state = django_filters.ChoiceFilter(choices=ProblemState.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = Problem
        fields = ["connection", "state", "kind"]


class SyncRequestSerializer(serializers.Serializer):
    flow = serializers.ChoiceField(choices=Flow.choices, default=Flow.ORDERS, help_text="Which flow to run now.")


class SyncStartMixin:
    """`POST …/{id}/sync/` on the Miinto connection viewset: what the dashboard's Synchronize button does, for any flow."""

    @extend_schema(
        request=SyncRequestSerializer,
        responses={
            202: SyncRunSerializer,
            409: inline_serializer("SyncRefused", {"detail": serializers.CharField(), "code": serializers.CharField()}),
        },
        examples=[OpenApiExample("Synchronize stock now", value={"flow": "stock"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Queue a run of the flow (or answer the run already queued or running for it); follow it at `/sync-runs/{id}/`.

        409 when the connection is disabled or paused (`code` says which); 400 for a flow that cannot run yet.
        """
        connection = self.get_object()
        payload = SyncRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            run = sync_request(connection=connection, flow=payload.validated_data["flow"], trigger=Trigger.API)
        except SyncRefused as refused:
            if hasattr(refused, "error_dict"):
                return Response(refused.message_dict, status=status.HTTP_400_BAD_REQUEST)
            return Response({"detail": " ".join(refused.messages), "code": refused.code or "sync_refused"}, status=status.HTTP_409_CONFLICT)
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SyncRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Sync runs, newest first, with their progress counters; start one with `POST /miinto-connections/{id}/sync/`."""

    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilter

    def merchant_queryset(self):
        return selectors.sync_runs_for(self.merchant)


class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """The Communications log: every call to or from Miinto and the store, with a redacted payload excerpt."""

    serializer_class = ActivityEntrySerializer
    list_serializer_class = ActivityEntrySummarySerializer
    filterset_class = ActivityFilter

    def merchant_queryset(self):
        return selectors.activity_for(self.merchant)


PROBLEM_ACTION_SCHEMA = extend_schema(
    request=None,
    responses={200: ProblemSerializer, 409: inline_serializer("ProblemActionRefused", {"detail": serializers.CharField()})},
)


class ProblemViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """The errors inbox: what needs a human, and the actions retry, handle (manually) and ignore."""

    serializer_class = ProblemSerializer
    list_serializer_class = ProblemSummarySerializer
    filterset_class = ProblemFilter

    def merchant_queryset(self):
        return selectors.problems_for(self.merchant)

    def _act(self, request, name: str) -> Response:
        problem = self.get_object()
        try:
            problem = PROBLEM_ACTIONS[name](merchant=self.merchant, problem=problem, by=actor_name(request))
        except ProblemActionRefused as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        return Response(ProblemSerializer(problem).data)

    @PROBLEM_ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run the failed work again now; the problem becomes `retried` (a new one opens if it fails again)."""
        return self._act(request, "retry")

    @PROBLEM_ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        """Mark the problem as dealt with by hand."""
        return self._act(request, "handle")

    @PROBLEM_ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        """Dismiss the problem; nothing will be done about it."""
        return self._act(request, "ignore")

    @extend_schema(
        request=RetryAllSerializer,
        responses={
            200: inline_serializer("RetryAllResult", {"kind": serializers.CharField(), "retried": serializers.IntegerField()})
        },
        examples=[OpenApiExample("Retry every failed remote update", value={"kind": "outbox_dead"}, request_only=True)],
    )
    @action(detail=False, methods=["post"], url_path="retry-all")
    def retry_all(self, request):
        """Retry every open problem of one kind."""
        body = RetryAllSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kind = body.validated_data["kind"]
        retried = problem_retry_all(merchant=self.merchant, kind=kind, by=actor_name(request))
        return Response({"kind": kind, "retried": retried})


sync_api_routes = [
    ("sync-runs", SyncRunViewSet, "sync-run"),
    ("activity", ActivityViewSet, "activity"),
    ("problems", ProblemViewSet, "problem"),
]
