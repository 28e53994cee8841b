"""Miinto and store connections, their order configuration, and the sync machinery's records.

The machinery (runs, activity, outbox base, problems) lives here so that catalog, orders and rma can use it
without any lower app importing a higher one.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.configuration_rules import SYNC_INTERVAL_VALIDATORS
from koongo.accounts.tenancy import TenantModel
from koongo.crypto import EncryptedJSONField, EncryptedTextField


class StoreConnection(TenantModel):
    """The merchant's web store on one platform, with its (encrypted) credentials and what the last test saw."""

    platform = models.CharField(max_length=20, help_text="Platform code from the platforms registry")
    name = models.CharField(max_length=100)
    credentials = EncryptedJSONField(help_text="Validated by the adapter's credentials model; never shown again")
    shop_url = models.CharField(max_length=300, blank=True)
    # Computed by the database, so no write path (a queryset update included) can leave it stale.
    store_identity = models.GeneratedField(
        expression=Lower("shop_url"), output_field=models.CharField(max_length=300), db_persist=True,
        help_text="The normalized shop_url: one merchant per store and platform",
    )  # fmt: skip
    currency = models.CharField(max_length=3, blank=True)
    prices_include_tax = models.BooleanField(null=True)
    capabilities = models.JSONField(default=list, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True, help_text="Archived connections are hidden and never synced")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="store_connection_name_unique_per_merchant"),
            # A store's webhooks and orders belong to one merchant: nobody else may connect the same store.
            models.UniqueConstraint(
                fields=["platform", "store_identity"],
                condition=~Q(store_identity="") & Q(archived_at__isnull=True),
                name="store_connected_by_one_merchant",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.platform})"


    @property
    def is_tested(self) -> bool:
        return bool(self.last_test_ok)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class MiintoEnvironmentName(models.TextChoices):
    PRODUCTION = "production", _("Miinto production")
    SANDBOX = "sandbox", _("Miinto sandbox")
    SIMULATOR = "simulator", _("Local simulator")


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISABLED = "disabled", _("Disabled")


class PauseSource(models.TextChoices):
    """What paused a connection; only a successful check of that same thing clears it on its own."""

    MIINTO_CREDENTIALS = "miinto_credentials", _("Miinto credentials")
    STORE_CREDENTIALS = "store_credentials", _("Store credentials")
    PLAN = "plan", _("Plan")
    MANUAL = "manual", _("Paused by hand")


class MiintoConnection(TenantModel):
    """One merchant's Miinto account bound to one shop location, linked to the store it syncs with."""

    environment = models.CharField(max_length=20, choices=MiintoEnvironmentName.choices, default=MiintoEnvironmentName.PRODUCTION)
    username = models.CharField(max_length=200)
    password = EncryptedTextField()
    channel_id = EncryptedTextField(help_text="Cached Miinto channel id")
    channel_token = EncryptedTextField(help_text="Cached Miinto channel token")
    shop_id = models.CharField(max_length=64, help_text="Miinto shop location id, e.g. 1-m!i!s-045-1234")
    market = models.CharField(max_length=2, help_text="Market code from the shop id, e.g. DK")
    shop_name = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3)
    store_connection = models.ForeignKey(
        StoreConnection, on_delete=models.PROTECT, null=True, blank=True, related_name="miinto_connections"
    )
    status = models.CharField(max_length=10, choices=ConnectionStatus.choices, default=ConnectionStatus.DISABLED)
    sync_interval_minutes = models.PositiveSmallIntegerField(default=5, validators=SYNC_INTERVAL_VALIDATORS)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True)
    paused_source = models.CharField(max_length=20, choices=PauseSource.choices, blank=True, db_default="")
    last_synced = models.JSONField(default=dict, blank=True, help_text="Last successful sync time per flow (ISO 8601)")
    # Set by the stale-connection check (connections/staleness.py): no successful run for 3× the interval.
    stale_since = models.DateTimeField(null=True, blank=True)
    stale_reason = models.TextField(blank=True, db_default="")
    stale_notified_at = models.DateTimeField(null=True, blank=True, help_text="Last e-mail to the owners about it")
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True, help_text="Archived: disabled, hidden, restorable; records kept")

    class Meta:
        ordering = ["shop_name", "shop_id"]
        # A Miinto shop's transfers belong to one merchant: nobody else may connect it in the same environment.
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "shop_id"], condition=Q(archived_at__isnull=True), name="miinto_shop_connected_by_one_merchant"
            )
        ]
        indexes = [models.Index(fields=["status", "next_sync_at"], name="miinto_conn_due_idx")]

    def __str__(self):
        return f"{self.shop_name or self.shop_id} ({self.market})"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_active(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def paused_by_plan(self) -> bool:
        """Paused because the plan no longer allows it; an upgrade (or a freed slot) resumes it."""
        return self.paused_at is not None and self.paused_source == PauseSource.PLAN

    @property
    def is_china(self) -> bool:
        return self.market == "CN"


class SyncLevel(models.TextChoices):
    ORDERS_AND_STOCK = "orders_and_stock", _("Orders & Stock")
    STOCK_ONLY = "stock_only", _("Stock only")


class ReferencePrice(models.TextChoices):
    FINAL = "final_price", _("Final price incl. tax")
    ORIGINAL = "original_price", _("Original (regular) price incl. tax")


class OrderConfiguration(TenantModel):
    """The seed's Orders configuration for one Miinto connection, with its defaults."""

    connection = models.OneToOneField(MiintoConnection, on_delete=models.CASCADE, related_name="order_configuration")
    sync_level = models.CharField(
        _("Order Synchronization Level"), max_length=20, choices=SyncLevel.choices, default=SyncLevel.ORDERS_AND_STOCK
    )
    auto_accept = models.BooleanField(_("Accept Orders Automatically"), default=False)
    price_threshold = models.DecimalField(
        _("Auto Accept Orders – Price Attribute Threshold"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.970"),
        validators=[MaxValueValidator(Decimal("2"))],
    )
    reference_price_attribute = models.CharField(
        _("Reference Price Attribute"), max_length=20, choices=ReferencePrice.choices, default=ReferencePrice.FINAL
    )
    default_shipping_provider_id = models.CharField(_("Default Shipping Service – Store Shipment"), max_length=64, blank=True)
    default_shipping_provider_name = models.CharField(max_length=200, blank=True)
    use_billing_for_shipping = models.BooleanField(_("Use Billing Address For Shipping"), default=False)
    product_identification_attribute = models.CharField(_("Product Identification Attribute"), max_length=100, default="id")
    sync_from_date = models.DateField(_("Sync Orders Created From Date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(price_threshold__gt=0) & Q(price_threshold__lte=2), name="order_config_threshold_in_0_2"
            )
        ]

    def __str__(self):
        return f"Order configuration of {self.connection}"

    # Field → messages for an attribute or provider the store or Miinto does not offer. Set by connections.apps to
    # connections.configuration_checks, which reads the lists through selectors (they import these models).
    choice_errors = staticmethod(lambda configuration: {})
    @property
    def order_sync_active(self) -> bool:
        """"Activate Order Synchronization", shown and changed with the configuration (the connection's status)."""
        return self.connection.is_active


    def clean(self):
        # The admin (and any ModelForm) runs this; the API serializer runs the same rules (configuration_rules).
        super().clean()
        if self.connection_id and (errors := type(self).choice_errors(self)):
            raise ValidationError(errors)


# The sync engine lives in its own subpackage; its models are this app's models all the same.
from connections.sync.models import (  # noqa: E402,F401
    ACTIVE_RUN_STATUSES,
    OUTBOX_TRANSITIONS,
    PROBLEM_TRANSITIONS,
    RUN_COUNTERS,
    RUN_TRANSITIONS,
    ActivityEntry,
    Direction,
    Flow,
    IllegalTransition,
    OutboxRow,
    OutboxState,
    Problem,
    ProblemState,
    RunStatus,
    SyncRun,
    SyncRunDailyCount,
    Trigger,
)


class StockChangeMark(TenantModel):
    """The stock ledger's durable memory: a stock change (by our key) was sent to a store, or confirmed applied.

    In PostgreSQL rather than Redis, so a retry after Redis lost its data still knows not to lower stock twice.
    """

    namespace = models.CharField(max_length=200, help_text="The store: platform and store scope")
    key = models.CharField(max_length=200)
    state = models.CharField(max_length=4, choices=[("sent", _("Sent")), ("done", _("Done"))])
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "namespace", "key"], name="stock_change_mark_once")]
