"""Admin: endpoints (the secret is never shown; the URL changes through the dashboard or API, behind the SSRF guard)
and the delivery log with its attempts, read-only, with a resend action."""

from django.contrib import admin

from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "merchant", "paused_at", "disabled_at", "created_at"]
    list_filter = ["disabled_at"]
    exclude = ["secret", "previous_secret"]
    readonly_fields = ["merchant", "url", "previous_secret_expires_at", "disabled_at", "disabled_reason", "created_at", "updated_at"]
    actions = ["resume"]

    @admin.action(description="Resume or re-enable (waiting and given-up events are sent again)")
    def resume(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_resume(endpoint=endpoint)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "sent_at", "response_status", "latency_ms", "error", "response_body", "request_body"]
    exclude = ["merchant"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "endpoint", "state", "attempts", "last_status", "created_at"]
    list_filter = ["state", "event_type"]
    search_fields = ["event_id", "object_key"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["resend"]

    @admin.action(description="Resend (same webhook-id)")
    def resend(self, request, queryset):
        for delivery in queryset:
            services.delivery_resend(delivery=delivery)
