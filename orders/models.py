"""Transfers and positions offered by Miinto, the decision on each, the resulting orders, and their outbox rows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Product
from connections.models import IllegalTransition, MiintoConnection, OutboxRow
from koongo.accounts.tenancy import TenantModel


class DecidedBy(models.TextChoices):
    RULE = "rule", "Auto-accept rule"
    MERCHANT = "merchant", "Merchant (dashboard or API)"
    MIINTO = "miinto", "Decided in Miinto"


class Transfer(TenantModel):
    """Miinto's offer of pending positions to one shop."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="transfers")
    miinto_id = models.BigIntegerField()
    created_at_miinto = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_pending_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="No pending position left here")
    new_order_id = models.BigIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at_miinto", "-pk"]
        constraints = [models.UniqueConstraint(fields=["connection", "miinto_id"], name="transfer_once_per_connection")]
        # The list's order (newest id first) and its date filter, each per merchant (issue 22).
        indexes = [
            models.Index(fields=["merchant", "-id"], name="transfer_list_idx"),
            models.Index(fields=["merchant", "created_at_miinto"], name="transfer_created_idx"),
        ]

    def __str__(self):
        return f"Transfer {self.miinto_id}"


class PositionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


POSITION_TRANSITIONS = {
    PositionStatus.PENDING: {PositionStatus.ACCEPTED, PositionStatus.DECLINED},
    PositionStatus.ACCEPTED: set(),
    PositionStatus.DECLINED: set(),
}


class Position(TenantModel):
    """One order line Miinto offers; decided exactly once."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="positions")
    miinto_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    gtin = models.CharField(max_length=20, blank=True)
    item = models.JSONField(default=dict, blank=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="positions")
    status = models.CharField(max_length=10, choices=PositionStatus.choices, default=PositionStatus.PENDING)
    wait_reason = models.CharField(max_length=40, blank=True, help_text="Why the rule left it for a human")
    # True from acceptance until the store has the goods (order created or stock lowered): promised stock.
    awaiting_store = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["connection", "miinto_id"], name="position_once_per_connection")]
        indexes = [
            models.Index(fields=["product"], condition=Q(awaiting_store=True), name="position_promised_idx"),
            models.Index(fields=["merchant", "status"], name="position_status_idx"),
            models.Index(fields=["merchant", "-id"], name="position_list_idx"),
            # The transfer list's `status=` filter probes its positions by EXISTS (transfer, status).
            models.Index(fields=["transfer", "status"], name="position_transfer_status_idx"),
        ]

    def __str__(self):
        return f"Position {self.miinto_id}"

    def set_status(self, status: str) -> None:
        if status not in POSITION_TRANSITIONS[self.status]:
            raise IllegalTransition(f"a position cannot go from {self.status} to {status}")
        self.status = status


class Decision(TenantModel):
    """Accept or decline for one position, with every input; the one-to-one makes a second decision impossible."""

    position = models.OneToOneField(Position, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=10, choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = models.CharField(max_length=40)
    decided_by = models.CharField(max_length=10, choices=DecidedBy.choices)
    actor = models.CharField(max_length=200, blank=True, help_text="Who decided, for manual decisions")
    inputs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When Miinto confirmed it")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["merchant", "sent_at"], name="decision_unsent_idx"),
            models.Index(fields=["merchant", "created_at"], name="decision_created_idx"),  # the overview's last 30 days
        ]

    def __str__(self):
        return f"{self.outcome} ({self.reason})"


class OrderStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    IN_STORE = "in_store", "In the store"
    SHIPPED = "shipped", "Shipped"


class Order(TenantModel):
    """A Miinto order made from accepted positions, with its addresses and its store counterpart."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="orders")
    transfer = models.ForeignKey(Transfer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    miinto_id = models.BigIntegerField(help_text="The merchant-level order id")
    parent_order_id = models.BigIntegerField(null=True, blank=True, help_text="The customer-facing order number")
    currency = models.CharField(max_length=3)
    created_at_miinto = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACCEPTED)
    customer_name = models.CharField(max_length=300, blank=True)
    customer_email = models.CharField(max_length=300, blank=True)
    customer_phone = models.CharField(max_length=100, blank=True)
    billing_address = models.JSONField(default=dict)
    shipping_address = models.JSONField(default=dict, help_text="The effective shipping address (billing if configured)")
    delivery_address = models.JSONField(default=dict, help_text="Miinto's delivery address, read-only")
    delivery_type = models.CharField(max_length=40, blank=True)
    delivery_provider_id = models.CharField(max_length=64, blank=True)
    shipping_method = models.CharField(max_length=200, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    store_order_id = models.CharField(max_length=200, blank=True)
    store_order_name = models.CharField(max_length=200, blank=True)
    store_order_url = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["connection", "miinto_id"], name="order_once_per_connection")]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="order_list_idx"),
            models.Index(fields=["merchant", "-id"], name="order_api_list_idx"),  # the API's cursor order
            models.Index(fields=["transfer", "status"], name="order_transfer_status_idx"),  # `status=in_store` by EXISTS
        ]

    def __str__(self):
        return f"Miinto order {self.miinto_id}"


class OrderLine(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.OneToOneField(Position, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_line")
    miinto_position_id = models.BigIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sku = models.CharField(max_length=200, blank=True)
    gtin = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=500, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "miinto_position_id"], name="order_line_once")]


class DecisionPush(OutboxRow):
    """Tell Miinto the decisions of one transfer: one PATCH carries every decided, unsent position."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="decision_pushes")


class StorePushKind(models.TextChoices):
    CREATE_ORDER = "create_order", "Create the store order"
    ADJUST_STOCK = "adjust_stock", "Lower the store's stock (Stock only)"


class StorePush(OutboxRow):
    """Put an accepted order into the store: a store order, or stock lowered in Stock only mode."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="store_pushes")
    kind = models.CharField(max_length=20, choices=StorePushKind.choices)
    result = models.JSONField(default=dict, blank=True)

    class Meta(OutboxRow.Meta):
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="one_store_push_per_order_and_kind")]


# --- shipments and labels ------------------------------------------------------------------
# Appended with the shipments and labels flows (orders/shipments.py, orders/labels.py).

import uuid  # noqa: E402

from koongo.crypto import EncryptedTextField  # noqa: E402


class CarrierMapping(TenantModel):
    """A store carrier, as the store names it, mapped to one of Miinto's shipping providers for one connection."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="carrier_mappings")
    carrier = models.CharField(max_length=200, help_text="The carrier name the store reports, e.g. 'GLS' or 'PostNord'")
    carrier_key = models.CharField(max_length=200, help_text="The carrier name normalised for matching")
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
    STORE = "store", "Made in the store"
    MANUAL = "manual", "Marked as shipped by hand"


class ShipmentStatus(models.TextChoices):
    AWAITING_TRACKING = "awaiting_tracking", "Waiting for a tracking number"
    NEW = "new", "New"
    NEEDS_PROVIDER = "needs_provider", "No Miinto provider for its carrier"
    QUEUED = "queued", "Sending to Miinto"
    SENT = "sent", "Sent to Miinto"
    SKIPPED = "skipped", "Nothing to send"


SHIPMENT_TRANSITIONS = {
    ShipmentStatus.AWAITING_TRACKING: {ShipmentStatus.NEW, ShipmentStatus.SKIPPED},
    ShipmentStatus.NEW: {ShipmentStatus.QUEUED, ShipmentStatus.NEEDS_PROVIDER, ShipmentStatus.SKIPPED},
    ShipmentStatus.NEEDS_PROVIDER: {ShipmentStatus.QUEUED, ShipmentStatus.SKIPPED},
    ShipmentStatus.QUEUED: {ShipmentStatus.SENT},
    ShipmentStatus.SENT: set(),
    ShipmentStatus.SKIPPED: set(),
}


class ProviderSource(models.TextChoices):
    MAPPING = "mapping", "Carrier mapping"
    CARRIER_NAME = "carrier_name", "Matched by carrier name"
    DEFAULT = "default", "Default Shipping Service"
    MERCHANT = "merchant", "Chosen by the merchant"


class Shipment(TenantModel):
    """One shipment of a Miinto order: made in the store (found by polling or webhook) or marked as shipped by hand."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    source = models.CharField(max_length=10, choices=ShipmentSource.choices)
    store_shipment_id = models.CharField(max_length=200, blank=True, help_text="The store's id; empty for manual shipments")
    carrier = models.CharField(max_length=200, blank=True)
    tracking_number = models.CharField(max_length=200, blank=True)
    tracking_url = models.CharField(max_length=500, blank=True)
    store_lines = models.JSONField(default=list, blank=True, help_text="The store's lines: sku and quantity")
    position_ids = models.JSONField(default=list, blank=True, help_text="The Miinto positions this shipment sends")
    provider_id = models.CharField(max_length=64, blank=True)
    provider_name = models.CharField(max_length=200, blank=True)
    provider_source = models.CharField(max_length=20, choices=ProviderSource.choices, blank=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.NEW)
    status_detail = models.CharField(max_length=500, blank=True, help_text="Why it waits or was skipped")
    actor = models.CharField(max_length=200, blank=True, help_text="Who marked it shipped, for manual shipments")
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

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="push")


class ShipmentPoll(TenantModel):
    """Where the shipments flow of one connection reads the store from next: its watermark and last wide sweep."""

    connection = models.OneToOneField(MiintoConnection, on_delete=models.CASCADE, related_name="shipment_poll")
    watermark = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True, help_text="Last re-read of the sweep window")

    def __str__(self):
        return f"Shipment poll of {self.connection_id} at {self.watermark}"


class LabelFetchState(models.TextChoices):
    WAITING = "waiting", "Waiting for Miinto"
    FETCHED = "fetched", "Fetched"
    GIVEN_UP = "given_up", "Given up"


LABEL_FETCH_TRANSITIONS = {
    LabelFetchState.WAITING: {LabelFetchState.FETCHED, LabelFetchState.GIVEN_UP},
    LabelFetchState.FETCHED: set(),
    LabelFetchState.GIVEN_UP: {LabelFetchState.WAITING},
}


class LabelFetch(TenantModel):
    """Polling Miinto for one order's shipping label, with bounded attempts and backoff."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="label_fetch")
    state = models.CharField(max_length=10, choices=LabelFetchState.choices, default=LabelFetchState.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="label")
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
    token = EncryptedTextField(help_text="Encrypted; shown only to the merchant's users")
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

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    link = models.OneToOneField(LabelLink, on_delete=models.CASCADE, related_name="note_push")
    result = models.JSONField(default=dict, blank=True)


class OrderComment(TenantModel):
    """The order's Comment tab: the merchant's notes, and Koongo's own (a label link, its revocation)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(max_length=200, help_text="'Koongo' for our own comments, else the user or API key")
    body = models.TextField(blank=True)
    label_link = models.ForeignKey(LabelLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment {self.pk} by {self.author}"
