"""REST API: `/api/v1/webhook-endpoints/` (owners manage; members read) with each endpoint's delivery log nested."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin
from webhooks import selectors, services
from webhooks.event_types import EVENT_TYPES
from webhooks.models import DeliveryState
from webhooks.serializers import (
    EventTypeSerializer,
    RotatedSecretSerializer,
    RotateSecretSerializer,
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)


class OwnersManage(permissions.BasePermission):
    """Members read; only owners create or change endpoints. Checked on the object for detail routes, so another
    merchant's id answers 404 before any role is considered."""

    message = "Only an owner of this merchant may manage webhook endpoints."

    @staticmethod
    def _owner(request) -> bool:
        return getattr(request.actor, "role", None) == "owner"

    def has_permission(self, request, view):
        if getattr(request, "actor", None) is None:
            return False
        if request.method in permissions.SAFE_METHODS or view.detail:
            return True
        return self._owner(request)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or self._owner(request)


def _field_errors(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class DeliveryFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=DeliveryState.choices)
    event_type = filters.CharFilter()
    event_id = filters.CharFilter()


class WebhookEndpointViewSet(
    IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, MerchantViewSet
):
    """Where Koongo sends signed events (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).

    Every write honours Idempotency-Key; the answers that show a secret are kept encrypted for the replay.
    """

    serializer_class = WebhookEndpointSerializer
    permission_classes = [OwnersManage]

    def merchant_queryset(self):
        return selectors.endpoints(self.merchant)

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request):
        """Register an endpoint; the answer carries its `secret`, shown this once (and to a retry with the same key)."""
        self.answer_holds_secret()
        payload = WebhookEndpointSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            endpoint, secret = services.endpoint_create(merchant=self.merchant, **payload.validated_data)
        except DjangoValidationError as error:
            raise _field_errors(error) from None
        endpoint.secret = secret
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointSerializer, responses=WebhookEndpointSerializer)
    def partial_update(self, request, pk=None):
        """Change the URL, description or event types."""
        endpoint = self.get_object()
        payload = WebhookEndpointSerializer(endpoint, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        try:
            services.endpoint_update(endpoint=endpoint, **payload.validated_data)
        except DjangoValidationError as error:
            raise _field_errors(error) from None
        return Response(WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance):
        services.endpoint_delete(endpoint=instance)

    @extend_schema(request=RotateSecretSerializer, responses=RotatedSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret (shown once); the old one keeps signing alongside it for `overlap_hours`."""
        self.answer_holds_secret()
        endpoint = self.get_object()
        payload = RotateSecretSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        overlap = timedelta(hours=payload.validated_data["overlap_hours"])
        secret = services.endpoint_rotate_secret(endpoint=endpoint, overlap=overlap)
        return Response(RotatedSecretSerializer({"secret": secret, "previous_secret_valid_until": endpoint.previous_secret_expires_at}).data)

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Hold deliveries; events are still recorded and sent on resume."""
        return Response(WebhookEndpointSerializer(services.endpoint_pause(endpoint=self.get_object())).data)

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a paused endpoint, or enable one disabled after failures; waiting events are sent in order."""
        return Response(WebhookEndpointSerializer(services.endpoint_resume(endpoint=self.get_object())).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a `webhook.test` event to this endpoint now."""
        delivery = services.endpoint_send_test(endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="v1_webhook_endpoints_deliveries_list",
        # A cursor page like every list (the house schema documents custom actions as plain arrays, so say it here).
        responses=inline_serializer(
            "PaginatedWebhookDeliveryList",
            {
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": WebhookDeliverySerializer(many=True),
            },
        ),
        parameters=[
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
            OpenApiParameter("state", str, enum=DeliveryState.values),
            OpenApiParameter("event_type", str),
            OpenApiParameter("event_id", str),
        ],
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """This endpoint's delivery log, newest first (paginated), filtered by state, event type or id."""
        endpoint = self.get_object()
        filtered = DeliveryFilter(request.query_params, queryset=selectors.deliveries(self.merchant).filter(endpoint=endpoint))
        if not filtered.is_valid():
            raise ValidationError(filtered.errors)
        queryset = filtered.qs
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    def _delivery(self, pk, delivery_id):
        endpoint = self.get_object()
        return get_object_or_404(selectors.deliveries(self.merchant).prefetch_related("attempt_log"), endpoint=endpoint, pk=delivery_id)

    @extend_schema(operation_id="v1_webhook_endpoints_deliveries_retrieve", responses=WebhookDeliveryDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"deliveries/(?P<delivery_id>\d+)")
    def delivery(self, request, pk=None, delivery_id=None):
        """One delivery with every attempt: request body, response code, response excerpt and latency."""
        return Response(WebhookDeliveryDetailSerializer(self._delivery(pk, delivery_id)).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>\d+)/resend")
    def resend(self, request, pk=None, delivery_id=None):
        """Send this delivery again with the same `webhook-id`."""
        delivery = services.delivery_resend(delivery=self._delivery(pk, delivery_id))
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=EventTypeSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="event-types")
    def event_types(self, request):
        """The event types an endpoint can subscribe to; each payload's schema is `WebhookEvent…` in the components."""
        return Response([{"type": key, "description": gettext(text)} for key, text in EVENT_TYPES.items()])


api_routes = [("webhook-endpoints", WebhookEndpointViewSet, "webhook-endpoint")]

