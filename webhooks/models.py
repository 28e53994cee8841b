"""Webhook endpoints, their deliveries (an outbox: one row per event and endpoint) and each delivery attempt."""

from __future__ import annotations

import json

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koongo.accounts.tenancy import TenantModel
from koongo.crypto import EncryptedTextField


class WebhookEndpoint(TenantModel):
    """An integrator's receiver: where to send which events, signed with a secret shown once."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="Event types this endpoint receives")
    secret = EncryptedTextField(help_text="whsec_… signing secret; shown once when created or rotated")
    # During a rotation's overlap both secrets sign (Standard Webhooks allows several signatures in one header).
    previous_secret = EncryptedTextField()
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Paused by the owner: deliveries wait until resumed")
    disabled_at = models.DateTimeField(null=True, blank=True, help_text="Disabled after deliveries kept failing")
    disabled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.url

    @property
    def status(self) -> str:
        if self.disabled_at:
            return "disabled"
        if self.paused_at:
            return "paused"
        return "active"

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets that sign now: the current one, and the previous one while its overlap lasts."""
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_FLIGHT = "in_flight", _("Sending")
    DONE = "done", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Gave up")


OPEN_STATES = (DeliveryState.PENDING, DeliveryState.IN_FLIGHT, DeliveryState.FAILED, DeliveryState.DEAD)


class WebhookDelivery(TenantModel):
    """One event for one endpoint: written in the event's transaction, sent by a worker, retried for 3 days.

    `event_id` is the Standard Webhooks `webhook-id`: the same on every retry and resend, so receivers dedupe on it.
    `object_key` ("order:42") orders deliveries: one is sent only after every earlier one for that object succeeded.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=60)
    object_key = models.CharField(max_length=80, blank=True)
    payload = models.JSONField(help_text="The event envelope sent as the request body")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField(help_text="Retries stop here (3 days after the event, or after a resend)")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event_and_endpoint")]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["endpoint", "object_key", "id"], condition=~Q(state="done"), name="webhook_delivery_order_idx"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} → endpoint {self.endpoint_id} ({self.state})"

    @property
    def payload_json(self) -> str:
        """The body as the delivery log shows it (the bytes sent are compact JSON of the same value)."""
        return json.dumps(self.payload, indent=2, ensure_ascii=False)


class WebhookAttempt(TenantModel):
    """One HTTP attempt of a delivery, for the delivery log: what was sent, what came back, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    request_body = models.TextField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first 2,000 characters")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-pk"]

    @property
    def ok(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
