"""API serializers: endpoints (the secret appears only in the create and rotate answers), deliveries and attempts."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.event_types import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.payloads import EVENT_PAYLOAD


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=60), allow_empty=False, help_text="Any of: " + ", ".join(EVENT_TYPES)
    )
    status = serializers.CharField(read_only=True, help_text="active, paused (by an owner) or disabled (after failures)")
    rotation_overlap_until = serializers.DateTimeField(source="previous_secret_expires_at", read_only=True, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "event_types", "status", "paused_at", "disabled_at", "disabled_reason",
            "rotation_overlap_until", "created_at", "updated_at",
        ]
        read_only_fields = ["paused_at", "disabled_at", "disabled_reason", "created_at", "updated_at"]

    def validate_event_types(self, value):
        # One message naming every unknown type (a per-item ChoiceField would key its errors by list index).
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise serializers.ValidationError(f"Unknown event types: {', '.join(unknown)}. See /api/v1/webhook-endpoints/event-types/.")
        return sorted(set(value))


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="whsec_…: shown only in this answer; store it now")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class RotateSecretSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0, max_value=168, default=24, help_text="How long the old secret keeps signing alongside the new one"
    )


class RotatedSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new whsec_… secret, shown only in this answer")
    previous_secret_valid_until = serializers.DateTimeField(allow_null=True)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "sent_at", "response_status", "latency_ms", "response_body", "error", "request_body"]


@extend_schema_field(EVENT_PAYLOAD)
class EventPayloadField(serializers.JSONField):
    """The body sent: one schema per event type."""


class WebhookDeliverySerializer(serializers.ModelSerializer):
    payload = EventPayloadField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "event_id", "event_type", "object_key", "state", "attempts", "last_status", "last_error",
            "next_attempt_at", "retry_until", "created_at", "done_at", "payload",
        ]


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "attempt_log"]


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
