"""Transfers and positions offered by Miinto, the decision on each, the resulting orders, and their outbox rows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from connections.models import IllegalTransition, MiintoConnection, OutboxRow
from koongo.accounts.tenancy import TenantModel
from orders.reasons import coded_reason_label, wait_label


class DecidedBy(models.TextChoices):
    RULE = "rule", _("Auto-accept rule")
    MERCHANT = "merchant", _("Merchant (dashboard or API)")
    MIINTO = "miinto", _("Decided in Miinto")


class Transfer(TenantModel):
    """Miinto's offer of pending positions to one shop."""

    # RESTRICT here and on every business record: a connection is archived, never deleted with its history.
    connection = models.ForeignKey(MiintoConnection, on_delete=models.RESTRICT, related_name="transfers")
    miinto_id = models.BigIntegerField()
    created_at_miinto = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_pending_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, help_text=_("No pending position left here"))
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
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


POSITION_TRANSITIONS = {
    PositionStatus.PENDING: {PositionStatus.ACCEPTED, PositionStatus.DECLINED},
    PositionStatus.ACCEPTED: set(),
    PositionStatus.DECLINED: set(),
}
# The one way a decided position changes: Miinto's back office decided it otherwise before our decision reached
# Miinto. Allowed only while our decision is unsent, and Miinto's decision then stands.
MIINTO_OVERRULES = {
    PositionStatus.ACCEPTED: {PositionStatus.DECLINED},
    PositionStatus.DECLINED: {PositionStatus.ACCEPTED},
}


class Position(TenantModel):
    """One order line Miinto offers; decided exactly once."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.RESTRICT, related_name="+")
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="positions")
    miinto_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    gtin = models.CharField(max_length=20, blank=True)
    item = models.JSONField(default=dict, blank=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="positions")
    status = models.CharField(max_length=10, choices=PositionStatus.choices, default=PositionStatus.PENDING)
    wait_reason = models.CharField(max_length=40, blank=True, help_text=_("Why the rule left it for a human"))
    # True from acceptance until the store has the goods (order created or stock lowered): promised stock.
    awaiting_store = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["connection", "miinto_id"], name="position_once_per_connection")]
        indexes = [
            models.Index(fields=["product"], condition=Q(awaiting_store=True), name="position_promised_idx"),
            models.Index(fields=["merchant", "status"], name="position_status_idx"),
            # Pending rows only, so it stays small: the metrics' oldest undecided position (read whole, across merchants)
            # and a merchant's needs-attention list (its merchant prefix).
            models.Index(fields=["merchant", "transfer"], condition=Q(status="pending"), name="position_pending_idx"),
            models.Index(fields=["merchant", "-id"], name="position_list_idx"),
            # The transfer list's `status=` filter probes its positions by EXISTS (transfer, status).
            models.Index(fields=["transfer", "status"], name="position_transfer_status_idx"),
        ]

    def __str__(self):
        return f"Position {self.miinto_id}"

    @property
    def wait_label(self) -> str:
        """Why the position waits, in words (the needs-attention page and the order page)."""
        return wait_label(self.wait_reason)

    def set_status(self, status: str) -> None:
        if status not in POSITION_TRANSITIONS[self.status]:
            raise IllegalTransition(f"a position cannot go from {self.status} to {status}")
        self.status = status

    def overrule(self, status: str, decision: Decision) -> None:
        """Miinto decided this position otherwise before our `decision` reached it: take Miinto's status."""
        if decision.sent_at is not None:
            raise IllegalTransition(f"position {self.miinto_id}: our decision was already confirmed by Miinto")
        if status not in MIINTO_OVERRULES.get(self.status, set()):
            raise IllegalTransition(f"Miinto cannot overrule a position from {self.status} to {status}")
        self.status = status
        self.awaiting_store = status == PositionStatus.ACCEPTED


class Decision(TenantModel):
    """Accept or decline for one position, with every input; the one-to-one makes a second decision impossible."""

    position = models.OneToOneField(Position, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=10, choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    reason = models.CharField(max_length=40)
    decided_by = models.CharField(max_length=10, choices=DecidedBy.choices)
    actor = models.CharField(max_length=200, blank=True, help_text=_("Who decided, for manual decisions"))
    inputs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("When Miinto confirmed it"))

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["merchant", "sent_at"], name="decision_unsent_idx"),
            models.Index(fields=["merchant", "created_at"], name="decision_created_idx"),  # the overview's last 30 days
        ]

    def __str__(self):
        return f"{self.outcome} ({self.reason})"

    @property
    def reason_label(self) -> str:
        """The rule's reason in words; "" when the reason is a note the merchant typed (the page shows it as data)."""
        return coded_reason_label(self.reason)


class OrderStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    IN_STORE = "in_store", _("In the store")
    SHIPPED = "shipped", _("Shipped")


class Order(TenantModel):
    """A Miinto order made from accepted positions, with its addresses and its store counterpart."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.RESTRICT, related_name="orders")
    transfer = models.ForeignKey(Transfer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    miinto_id = models.BigIntegerField(help_text=_("The merchant-level order id"))
    parent_order_id = models.BigIntegerField(null=True, blank=True, help_text=_("The customer-facing order number"))
    currency = models.CharField(max_length=3)
    created_at_miinto = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACCEPTED)
    customer_name = models.CharField(max_length=300, blank=True)
    customer_email = models.CharField(max_length=300, blank=True)
    customer_phone = models.CharField(max_length=100, blank=True)
    billing_address = models.JSONField(default=dict)
    shipping_address = models.JSONField(default=dict, help_text=_("The effective shipping address (billing if configured)"))
    delivery_address = models.JSONField(default=dict, help_text=_("Miinto's delivery address, read-only"))
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
            # The API's status filter in its cursor order; created_at as a key column so that a date range is checked
            # on the index entries, not on each row fetched (at 1M orders the planner otherwise walked the primary key).
            models.Index(fields=["merchant", "status", "-id", "created_at"], name="order_api_status_idx"),
            models.Index(fields=["transfer", "status"], name="order_transfer_status_idx"),  # `status=in_store` by EXISTS
        ]

    def __str__(self):
        return f"Miinto order {self.miinto_id}"

    @property
    def number(self) -> int:
        """The one order number shown everywhere: the customer-facing parent order id, else the merchant-level id."""
        return self.parent_order_id or self.miinto_id


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

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("decision pushes")

    def log_context(self) -> dict:
        return {"transfer_id": self.transfer_id, "miinto_transfer_id": self.transfer.miinto_id}


class StorePushKind(models.TextChoices):
    CREATE_ORDER = "create_order", _("Create the store order")
    ADJUST_STOCK = "adjust_stock", _("Lower the store's stock (Stock only)")


class StorePush(OutboxRow):
    """Put an accepted order into the store: a store order, or stock lowered in Stock only mode."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="store_pushes")
    kind = models.CharField(max_length=20, choices=StorePushKind.choices)
    result = models.JSONField(default=dict, blank=True)

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("store pushes")
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="one_store_push_per_order_and_kind")]

    def log_context(self) -> dict:
        # The handler reads the same order (and its transfer) right after, from these cached instances.
        transfer = self.order.transfer
        return {"order_id": self.order_id, "miinto_order_id": self.order.miinto_id,
                "miinto_transfer_id": transfer.miinto_id if transfer else None}


# Shipments and labels live in their own subpackage; their models are this app's models all the same.
from orders.shipments.models import (  # noqa: E402,F401
    CarrierMapping,
    Label,
    LabelFetch,
    LabelFetchState,
    LabelLink,
    LabelNotePush,
    OrderComment,
    ProviderSource,
    Shipment,
    ShipmentPoll,
    ShipmentPush,
    ShipmentSource,
    ShipmentStatus,
    label_upload_to,
)
