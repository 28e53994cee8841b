"""Shipments, carrier mappings, labels and their links, comments, and their outbox rows.

Models of the `orders` app (orders/models.py imports them), so their tables and migrations stay in orders.
Other models are named by label ("orders.Order") because orders.models imports this module.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import IllegalTransition, OutboxRow
from koongo.accounts.tenancy import TenantModel
from koongo.crypto import EncryptedTextField


class CarrierMapping(TenantModel):
    """A store carrier, as the store names it, mapped to one of Miinto's shipping providers for one connection."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, related_name="carrier_mappings")
    carrier = models.CharField(max_length=200, help_text=_("The carrier name the store reports, e.g. 'GLS' or 'PostNord'"))
    carrier_key = models.CharField(max_length=200, help_text=_("The carrier name normalised for matching"))
    provider_id = models.CharField(max_length=64)
    provider_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["carrier_key"]
        constraints = [models.UniqueConstraint(fields=["connection", "carrier_key"], name="carrier_mapping_once_per_connection")]

    def __str__(self):
        return f"{self.carrier} → {self.provider_name or self.provider_id}"


class ShipmentSource(models.TextChoices):
    STORE = "store", _("Made in the store")
    MANUAL = "manual", _("Marked as shipped by hand")


class ShipmentStatus(models.TextChoices):
    AWAITING_TRACKING = "awaiting_tracking", _("Waiting for a tracking number")
    NEW = "new", _("New")
    NEEDS_PROVIDER = "needs_provider", _("No Miinto provider for its carrier")
    QUEUED = "queued", _("Sending to Miinto")
    SENT = "sent", _("Sent to Miinto")
    SKIPPED = "skipped", _("Nothing to send")


SHIPMENT_TRANSITIONS = {
    ShipmentStatus.AWAITING_TRACKING: {ShipmentStatus.NEW, ShipmentStatus.SKIPPED},
    ShipmentStatus.NEW: {ShipmentStatus.QUEUED, ShipmentStatus.NEEDS_PROVIDER, ShipmentStatus.SKIPPED},
    ShipmentStatus.NEEDS_PROVIDER: {ShipmentStatus.QUEUED, ShipmentStatus.SKIPPED},
    ShipmentStatus.QUEUED: {ShipmentStatus.SENT},
    ShipmentStatus.SENT: set(),
    ShipmentStatus.SKIPPED: set(),
}


class ProviderSource(models.TextChoices):
    MAPPING = "mapping", _("Carrier mapping")
    CARRIER_NAME = "carrier_name", _("Matched by carrier name")
    DEFAULT = "default", _("Default Shipping Service")
    MERCHANT = "merchant", _("Chosen by the merchant")


class Shipment(TenantModel):
    """One shipment of a Miinto order: made in the store (found by polling or webhook) or marked as shipped by hand."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.RESTRICT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="shipments")
    source = models.CharField(max_length=10, choices=ShipmentSource.choices)
    store_shipment_id = models.CharField(max_length=200, blank=True, help_text=_("The store's id; empty for manual shipments"))
    carrier = models.CharField(max_length=200, blank=True)
    tracking_number = models.CharField(max_length=200, blank=True)
    tracking_url = models.CharField(max_length=500, blank=True)
    store_lines = models.JSONField(default=list, blank=True, help_text=_("The store's lines: sku and quantity"))
    position_ids = models.JSONField(default=list, blank=True, help_text=_("The Miinto positions this shipment sends"))
    provider_id = models.CharField(max_length=64, blank=True)
    provider_name = models.CharField(max_length=200, blank=True)
    provider_source = models.CharField(max_length=20, choices=ProviderSource.choices, blank=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.NEW)
    status_detail = models.CharField(max_length=500, blank=True, help_text=_("Why it waits or was skipped"))
    actor = models.CharField(max_length=200, blank=True, help_text=_("Who marked it shipped, for manual shipments"))
    miinto_shipment_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    store_created_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "store_shipment_id"], condition=~Q(store_shipment_id=""), name="store_shipment_once_per_connection"
            )
        ]
        indexes = [models.Index(fields=["connection", "status"], name="shipment_status_idx")]

    def __str__(self):
        return f"Shipment {self.tracking_number or self.store_shipment_id or self.pk}"

    def set_status(self, status: str) -> None:
        if status not in SHIPMENT_TRANSITIONS[self.status]:
            raise IllegalTransition(f"a shipment cannot go from {self.status} to {status}")
        self.status = status


class ShipmentPush(OutboxRow):
    """Send one shipment to Miinto (§11 shipments sub-resource): exactly one row per shipment."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, related_name="+")
    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="push")

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("shipment pushes")


class ShipmentPoll(TenantModel):
    """Where the shipments flow of one connection reads the store from next: its watermark and last wide sweep."""

    connection = models.OneToOneField("connections.MiintoConnection", on_delete=models.CASCADE, related_name="shipment_poll")
    watermark = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True, help_text=_("Last re-read of the sweep window"))

    def __str__(self):
        return f"Shipment poll of {self.connection_id} at {self.watermark}"


class LabelFetchState(models.TextChoices):
    WAITING = "waiting", _("Waiting for Miinto")
    FETCHED = "fetched", _("Fetched")
    GIVEN_UP = "given_up", _("Given up")


LABEL_FETCH_TRANSITIONS = {
    LabelFetchState.WAITING: {LabelFetchState.FETCHED, LabelFetchState.GIVEN_UP},
    LabelFetchState.FETCHED: set(),
    LabelFetchState.GIVEN_UP: {LabelFetchState.WAITING},
}


class LabelFetch(TenantModel):
    """Polling Miinto for one order's shipping label, with bounded attempts and backoff."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="label_fetch")
    state = models.CharField(max_length=10, choices=LabelFetchState.choices, default=LabelFetchState.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("label fetches")
        indexes = [models.Index(fields=["connection", "state", "next_attempt_at"], name="label_fetch_due_idx")]

    def __str__(self):
        return f"Label fetch for order {self.order_id} ({self.state})"

    def set_state(self, state: str) -> None:
        if state not in LABEL_FETCH_TRANSITIONS[self.state]:
            raise IllegalTransition(f"a label fetch cannot go from {self.state} to {state}")
        self.state = state


def label_upload_to(instance, filename: str) -> str:
    # A random name: with a public bucket behind the storage, the path itself must not be guessable.
    return f"labels/{instance.merchant_id}/{uuid.uuid4().hex}.pdf"


class Label(TenantModel):
    """A Miinto shipping label PDF, stored through Django's storage API."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.RESTRICT, related_name="+")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="label")
    file = models.FileField(upload_to=label_upload_to, max_length=300)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Label of order {self.order_id}"


class LabelLink(TenantModel):
    """A capability URL for a label: the token is looked up by its SHA-256 and kept encrypted only to show it again."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    token = EncryptedTextField(help_text=_("Encrypted; shown only to the merchant's users"))
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=200, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Label link {self.pk}{' (revoked)' if self.revoked_at else ''}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LabelNotePush(OutboxRow):
    """Add a label link to the store order's note, where the platform supports notes."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, related_name="+")
    link = models.OneToOneField(LabelLink, on_delete=models.CASCADE, related_name="note_push")
    result = models.JSONField(default=dict, blank=True)

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("label note pushes")


class OrderComment(TenantModel):
    """The order's Comment tab: the merchant's notes, and Koongo's own (a label link, its revocation)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(max_length=200, help_text=_("'Koongo' for our own comments, else the user or API key"))
    body = models.TextField(blank=True)
    label_link = models.ForeignKey(LabelLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment {self.pk} by {self.author}"
