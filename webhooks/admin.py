"""Admin: endpoints (the secret is never shown) and the delivery log with its attempts, read-only."""

from django.contrib import admin

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "merchant", "paused_at", "disabled_at", "created_at"]
    list_filter = ["disabled_at"]
    exclude = ["secret", "previous_secret"]
    readonly_fields = ["merchant", "previous_secret_expires_at", "created_at", "updated_at"]


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "sent_at", "response_status", "latency_ms", "error", "response_body", "request_body"]
    exclude = ["merchant"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "endpoint", "state", "attempts", "last_status", "created_at"]
    list_filter = ["state", "event_type"]
    search_fields = ["event_id", "object_key"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
