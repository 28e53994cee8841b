"""RMAs from Miinto and their lines, refunds seen in the store, and the outbox rows that carry decisions, refunds and
RMA requests. The database itself enforces "no loops, and never a double refund" (see the constraints below).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import IllegalTransition, MiintoConnection, OutboxRow, StoreConnection
from koongo.accounts.tenancy import TenantModel
from orders.models import Order, OrderLine


class RmaOrigin(models.TextChoices):
    CUSTOMER = "customer", _("Customer (created in Miinto)")
    MERCHANT = "merchant", _("Merchant (an RMA request)")


class RmaStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


RMA_TRANSITIONS = {
    RmaStatus.PENDING: {RmaStatus.ACCEPTED, RmaStatus.DECLINED},
    RmaStatus.ACCEPTED: set(),
    RmaStatus.DECLINED: set(),
}


class DecidedBy(models.TextChoices):
    MERCHANT = "merchant", _("Merchant (dashboard or API)")
    MIINTO = "miinto", _("Decided in Miinto")
    STORE_REFUND = "store_refund", _("Accepted by a store refund")


# Only an RMA the buyer opened and the merchant accepted (here or in Miinto) is refunded in the store by us.
REFUND_PUSH_DECIDERS = (DecidedBy.MERCHANT, DecidedBy.MIINTO)


class Rma(TenantModel):
    """A Miinto return: pending until accepted or declined, with who decided it and why.

    `refund_key` is set only when a refund is pushed to the store for this RMA, and a check constraint allows it only
    for a customer RMA accepted by the merchant or in Miinto; `RefundPush.rma` points at this key, so the database
    cannot hold a refund push for any other RMA, nor two for one.
    """

    # RESTRICT: a connection is archived, never deleted with its RMAs and refunds (deleting the merchant still cascades).
    connection = models.ForeignKey(MiintoConnection, on_delete=models.RESTRICT, related_name="rmas")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="rmas")
    miinto_id = models.BigIntegerField(help_text=_("Miinto's return id"))
    miinto_order_id = models.BigIntegerField(help_text=_("The merchant-level Miinto order id"))
    origin = models.CharField(max_length=10, choices=RmaOrigin.choices)
    status = models.CharField(max_length=10, choices=RmaStatus.choices, default=RmaStatus.PENDING)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"), help_text=_("Sum of the lines"))
    reason = models.TextField(blank=True, help_text=_("The buyer's reason"))
    customer_comment = models.TextField(blank=True)
    decided_by = models.CharField(max_length=12, choices=DecidedBy.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    actor = models.CharField(max_length=200, blank=True, help_text=_("Who decided, for decisions made here"))
    created_at_miinto = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True, help_text=_("When a digest e-mail announced it"))
    refund_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    refund_by_hand_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("When the merchant was asked to enter the refund in the store by hand; we never push it after that"),
    )
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("RMA")
        ordering = ["-created_at_miinto", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "miinto_id"], name="rma_once_per_connection"),
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(decided_by="")) | (~Q(status="pending") & ~Q(decided_by="")),
                name="rma_decided_by_set_once_decided",
            ),
            models.CheckConstraint(
                condition=Q(refund_key__isnull=True)
                | Q(origin=RmaOrigin.CUSTOMER, status=RmaStatus.ACCEPTED, decided_by__in=REFUND_PUSH_DECIDERS),
                name="rma_refund_only_for_customer_rmas_the_merchant_accepted",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "status"], name="rma_status_idx"),
            models.Index(fields=["connection", "status"], name="rma_connection_status_idx"),
            models.Index(fields=["merchant", "-id"], name="rma_list_idx"),
            # Returns that reached us before their order: the rma flow links them when it comes (rma/orphans.py).
            models.Index(fields=["connection"], condition=Q(order__isnull=True), name="rma_orphan_idx"),
        ]

    def __str__(self):
        return f"RMA {self.miinto_id}"

    @property
    def order_number(self) -> int:
        """The order's number as the orders pages show it (`Order.number`); Miinto's id while the order is unknown here."""
        return self.order.number if self.order_id else self.miinto_order_id

    def set_status(self, status: str) -> None:
        if status not in RMA_TRANSITIONS[self.status]:
            raise IllegalTransition(f"an RMA cannot go from {self.status} to {status}")
        self.status = status

    @property
    def is_pending(self) -> bool:
        return self.status == RmaStatus.PENDING

    @property
    def refund_is_ours_to_push(self) -> bool:
        """Whether PRODUCT.md's rule lets us create the store refund: a customer RMA the merchant accepted."""
        return self.origin == RmaOrigin.CUSTOMER and self.status == RmaStatus.ACCEPTED and self.decided_by in REFUND_PUSH_DECIDERS


class RmaLine(TenantModel):
    """One returned order line: which position, how many, and the amount (unit price incl. tax × quantity)."""

    rma = models.ForeignKey(Rma, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    miinto_id = models.BigIntegerField(help_text=_("Miinto's return position id"))
    miinto_position_id = models.BigIntegerField(help_text=_("The order position returned"))
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["rma", "miinto_id"], name="rma_line_once")]

    def __str__(self):
        return f"{self.quantity} × position {self.miinto_position_id}"


class RefundOrigin(models.TextChoices):
    OURS = "ours", _("Pushed by us")
    STORE = "store", _("Made in the store")


class StoreRefundStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded (ours)")
    NEW = "new", _("New")
    ACCEPTED_RMA = "accepted_rma", _("Accepts a pending RMA")
    REQUESTED = "requested", _("RMA request sent to Miinto")
    NEEDS_ATTENTION = "needs_attention", _("Needs your decision")
    MANUAL = "manual", _("Create the RMA in the Miinto back office")
    DONE = "done", _("Done by hand")
    IGNORED = "ignored", _("Ignored")


STORE_REFUND_TRANSITIONS = {
    StoreRefundStatus.RECORDED: set(),
    StoreRefundStatus.NEW: {
        StoreRefundStatus.ACCEPTED_RMA,
        StoreRefundStatus.REQUESTED,
        StoreRefundStatus.NEEDS_ATTENTION,
        StoreRefundStatus.IGNORED,
    },
    StoreRefundStatus.NEEDS_ATTENTION: {StoreRefundStatus.ACCEPTED_RMA, StoreRefundStatus.REQUESTED, StoreRefundStatus.IGNORED},
    # Miinto may have declined the RMA in the meantime: then the refund needs a human after all.
    StoreRefundStatus.ACCEPTED_RMA: {StoreRefundStatus.NEEDS_ATTENTION},
    StoreRefundStatus.REQUESTED: {StoreRefundStatus.MANUAL},
    StoreRefundStatus.MANUAL: {StoreRefundStatus.DONE},
    StoreRefundStatus.DONE: set(),
    StoreRefundStatus.IGNORED: set(),
}


class StoreRefund(TenantModel):
    """A refund seen in the store on a Miinto order: ours (pushed for an RMA) or the store's own.

    `request_key` exists only for the store's own refunds (a check constraint); `RmaRequestPush.store_refund` points at
    it, so a refund we pushed can never become an RMA request (no echo), and one of the store's only once.
    """

    connection = models.ForeignKey(MiintoConnection, on_delete=models.RESTRICT, related_name="store_refunds")
    store_connection = models.ForeignKey(StoreConnection, on_delete=models.RESTRICT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="store_refunds")
    store_refund_id = models.CharField(max_length=200)
    store_order_id = models.CharField(max_length=200)
    origin = models.CharField(max_length=10, choices=RefundOrigin.choices)
    origin_key = models.CharField(max_length=200, blank=True, help_text=_("Our key, on refunds we pushed"))
    item_level = models.BooleanField(default=True, help_text=_("False where the store records no lines"))
    # [{"sku", "line_id", "quantity", "amount", "miinto_position_id"}]; the position is None where no order line matched
    lines = models.JSONField(default=list, blank=True)
    shipping_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    note = models.TextField(blank=True)
    created_at_store = models.DateTimeField()
    first_seen_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=StoreRefundStatus.choices)
    rma = models.ForeignKey(
        Rma, on_delete=models.SET_NULL, null=True, blank=True, related_name="store_refunds",
        help_text=_("The RMA it accepted, or the RMA whose refund we pushed"),
    )
    request_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    resolved_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at_store", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store_connection", "store_refund_id"], name="store_refund_once_per_store"),
            models.CheckConstraint(
                condition=Q(origin=RefundOrigin.STORE, request_key__isnull=False)
                | Q(origin=RefundOrigin.OURS, request_key__isnull=True),
                name="store_refund_only_the_stores_own_can_be_requested",
            ),
            models.CheckConstraint(
                condition=Q(origin=RefundOrigin.STORE) | ~Q(origin_key=""), name="store_refund_ours_carry_our_key"
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "status"], name="store_refund_status_idx"),
            models.Index(fields=["merchant", "-id"], name="store_refund_list_idx"),  # the API's cursor order
        ]

    def __str__(self):
        return f"Store refund {self.store_refund_id}"

    def set_status(self, status: str) -> None:
        if status not in STORE_REFUND_TRANSITIONS[self.status]:
            raise IllegalTransition(f"a store refund cannot go from {self.status} to {status}")
        self.status = status

    @property
    def position_quantities(self) -> dict[int, int] | None:
        """{order position id: quantity refunded}, or None when a line matched no order line."""
        quantities: dict[int, int] = {}
        for line in self.lines:
            if line.get("miinto_position_id") is None:
                return None
            quantities[line["miinto_position_id"]] = quantities.get(line["miinto_position_id"], 0) + line["quantity"]
        return quantities


class DecisionOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accept")
    DECLINED = "declined", _("Decline")


class RmaDecisionPush(OutboxRow):
    """Tell Miinto our decision on one RMA (`decide_return`); the RMA's status changes once Miinto confirms it.

    One-to-one with the RMA: we decide each RMA at most once.
    """

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    rma = models.OneToOneField(Rma, on_delete=models.CASCADE, related_name="decision_push")
    outcome = models.CharField(max_length=10, choices=DecisionOutcome.choices)
    reason = models.TextField()
    decided_by = models.CharField(max_length=12, choices=[c for c in DecidedBy.choices if c[0] != DecidedBy.MIINTO])
    actor = models.CharField(max_length=200, blank=True)
    store_refund = models.ForeignKey(StoreRefund, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("RMA decision pushes")
        verbose_name = _("RMA decision push")


class RefundPush(OutboxRow):
    """Create the store refund of one accepted customer RMA (same items, quantities and amounts).

    `rma` points at `Rma.refund_key`, which only a customer RMA accepted by the merchant or in Miinto may have, and is
    one-to-one: at most one refund push per RMA, enforced by the database.
    """

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    rma = models.OneToOneField(Rma, to_field="refund_key", on_delete=models.CASCADE, related_name="refund_push")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    restock = models.BooleanField(default=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("refund pushes")
        verbose_name = _("refund push")


class RmaRequestPush(OutboxRow):
    """Ask Miinto for an RMA (`create_rma_request`): for a refund made in the store, or a manual request.

    `store_refund` points at `StoreRefund.request_key`, which only the store's own refunds have, and is one-to-one:
    one request per store refund at most, never one for a refund we pushed. `rma` is the RMA Miinto made from it.
    """

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="rma_requests")
    store_refund = models.OneToOneField(
        StoreRefund, to_field="request_key", on_delete=models.CASCADE, null=True, blank=True, related_name="request_push"
    )
    rma = models.OneToOneField(Rma, on_delete=models.SET_NULL, null=True, blank=True, related_name="request_push")
    # [{"miinto_position_id", "quantity", "amount"}]
    positions = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    actor = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta(OutboxRow.Meta):
        verbose_name_plural = _("RMA request pushes")
        verbose_name = _("RMA request push")

    @property
    def quantities(self) -> dict[int, int]:
        found: dict[int, int] = {}
        for position in self.positions:
            found[position["miinto_position_id"]] = found.get(position["miinto_position_id"], 0) + position["quantity"]
        return found

    @property
    def miinto_unsupported(self) -> bool:
        """Miinto answered 404/405: the merchant creates this RMA in the Miinto back office instead."""
        return bool(self.result.get("unsupported_status"))


class RmaSettings(TenantModel):
    """Per Miinto connection: whether pushed refunds restock, the flows' watermarks, and the last digest e-mail."""

    connection = models.OneToOneField(MiintoConnection, on_delete=models.CASCADE, related_name="rma_settings")
    restock_refunds = models.BooleanField(_("Restock refunded items"), default=True)
    returns_watermark = models.DateTimeField(null=True, blank=True)
    refunds_watermark = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("RMA settings")
        verbose_name_plural = _("RMA settings")

    def __str__(self):
        return f"RMA settings of {self.connection}"


class RmaDigestOptOut(TenantModel):
    """A user who does not want the e-mail digest of new pending RMAs for this merchant."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("RMA digest opt-out")
        constraints = [models.UniqueConstraint(fields=["merchant", "user"], name="rma_digest_opt_out_once")]
