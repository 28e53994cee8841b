"""A reconciliation run per connection and period, and the typed findings it kept (bulk-created, one row per mismatch)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import MiintoConnection
from koongo.accounts.tenancy import TenantModel
from reconciliation.kinds import FindingKind, Fix


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Daily schedule")
    BUTTON = "button", _("Dashboard")
    API = "api", _("API")
    DEMO = "demo", _("Demo")


class ReconciliationRun(TenantModel):
    """One comparison of a connection's Miinto records, our database and the store for [period_start, period_end)."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="reconciliation_runs")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True)
    # kind -> count, written once when the run finishes, so lists and the trend never count findings row by row.
    counts = models.JSONField(default=dict, blank=True)
    findings_total = models.PositiveIntegerField(default=0)
    remote_reads = models.PositiveIntegerField(default=0, help_text="Remote calls the run made (pages and lookups)")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["connection", "-created_at"], name="recon_run_conn_idx")]

    def __str__(self) -> str:
        return f"Reconciliation {self.pk} of {self.connection_id} ({self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d})"

    @property
    def is_clean(self) -> bool:
        return self.status == RunStatus.DONE and self.findings_total == 0


class Finding(TenantModel):
    """One mismatch: its kind, what each side says, links to our objects, and the fix it offers (through the outbox)."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="findings")
    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=FindingKind.choices)
    message = models.CharField(max_length=500)
    miinto_order_id = models.BigIntegerField(null=True, blank=True)
    miinto_return_id = models.BigIntegerField(null=True, blank=True)
    miinto_position_id = models.BigIntegerField(null=True, blank=True)
    store_ref = models.CharField(max_length=200, blank=True, help_text="The store's order, shipment, refund or SKU")
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rma = models.ForeignKey("rma.Rma", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    miinto_value = models.CharField(max_length=100, blank=True)
    store_value = models.CharField(max_length=100, blank=True)
    fix = models.CharField(max_length=20, choices=Fix.choices, blank=True)
    # What the fix needs that the links do not hold (positions and quantities, an outbox row's id).
    fix_args = models.JSONField(default=dict, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    fixed_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "kind"], name="recon_finding_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"
