"""The sync engine's records: runs, activity entries (the Communications log), problems, and the outbox row base.

Models of the `connections` app (connections/models.py imports them), so their tables and migrations stay there.
Connections are named by label ("connections.MiintoConnection") because connections.models imports this module.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koongo.accounts.tenancy import TenantModel


class Flow(models.TextChoices):
    ORDERS = "orders", _("Orders")
    SHIPMENTS = "shipments", _("Shipments")
    LABELS = "labels", _("Labels")
    STOCK = "stock", _("Stock")
    CATALOG = "catalog", _("Catalog")
    RMA = "rma", _("RMA")
    REFUNDS = "refunds", _("Refunds")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    BUTTON = "button", _("Dashboard button")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    RETRY = "retry", _("Retry after a failure")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Finished with problems")
    FAILED = "failed", _("Failed")


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
RUN_TRANSITIONS = {
    RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.FAILED},
    RunStatus.RUNNING: {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED},
    RunStatus.SUCCEEDED: set(),
    RunStatus.PARTIAL: set(),
    RunStatus.FAILED: set(),
}
RUN_COUNTERS = ("seen", "accepted", "declined", "pushed", "skipped", "failed")


class IllegalTransition(ValueError):
    """A status change that the model's transition map does not allow."""


class SyncRun(TenantModel):
    """One run of one flow for one connection, with live progress counters."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, related_name="sync_runs")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the worker running it")
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Expected items, when known, for progress")
    seen = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    pushed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error_summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A second press while a run is queued or running must find that run, not start another.
            models.UniqueConstraint(
                fields=["connection", "flow"], condition=Q(status__in=["queued", "running"]), name="one_active_run_per_flow"
            )
        ]
        indexes = [
            models.Index(fields=["connection", "flow", "-created_at"], name="syncrun_timeline_idx"),
            models.Index(fields=["merchant", "-id"], name="syncrun_list_idx"),  # the API's cursor order
            # The lost-run sweeper's look for recent failures to retry, across merchants every 15 s: failures are rare.
            models.Index(fields=["finished_at"], condition=Q(status="failed"), name="syncrun_failed_idx"),
        ]

    def __str__(self):
        return f"{self.flow} run {self.pk} ({self.status})"

    def set_status(self, status: str) -> None:
        if status not in RUN_TRANSITIONS[self.status]:
            raise IllegalTransition(f"a sync run cannot go from {self.status} to {status}")
        self.status = status

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def progress_percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.seen * 100 / self.total))

    @property
    def counter_items(self) -> list[tuple[str, int]]:
        """(label, value) of every progress counter, in display order, for templates."""
        return [(name.capitalize(), getattr(self, name)) for name in RUN_COUNTERS]


class Direction(models.TextChoices):
    TO_MIINTO = "to_miinto", _("To Miinto")
    FROM_MIINTO = "from_miinto", _("From Miinto")
    TO_STORE = "to_store", _("To store")
    FROM_STORE = "from_store", _("From store")


class ActivityEntry(TenantModel):
    """One call we made or received (the Communications log), with a redacted payload excerpt."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    store_connection = models.ForeignKey("connections.StoreConnection", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="activity")
    subject_type = models.CharField(max_length=40, blank=True, help_text="e.g. order, transfer, rma")
    subject_id = models.CharField(max_length=64, blank=True)
    direction = models.CharField(max_length=12, choices=Direction.choices)
    operation = models.CharField(max_length=100)
    ok = models.BooleanField(default=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    correlation_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=10, blank=True)
    url = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(null=True, blank=True, help_text="Redacted excerpt")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "activity entries"
        indexes = [
            models.Index(fields=["merchant", "subject_type", "subject_id", "-created_at"], name="activity_subject_idx"),
            models.Index(fields=["connection", "-created_at"], name="activity_connection_idx"),
            models.Index(fields=["created_at"], name="activity_prune_idx"),
            models.Index(fields=["merchant", "-created_at", "-id"], name="activity_log_idx"),  # the dashboard log
            models.Index(fields=["merchant", "-id"], name="activity_api_list_idx"),  # the API's cursor order
        ]

    def __str__(self):
        return f"{self.direction} {self.operation}"


class ProblemState(models.TextChoices):
    OPEN = "open", _("Open")
    RETRIED = "retried", _("Retried")
    HANDLED = "handled", _("Handled")
    IGNORED = "ignored", _("Ignored")


# Only an open problem can be acted on; if the cause comes back, a new open problem is raised.
PROBLEM_TRANSITIONS = {
    ProblemState.OPEN: {ProblemState.RETRIED, ProblemState.HANDLED, ProblemState.IGNORED},
    ProblemState.RETRIED: set(),
    ProblemState.HANDLED: set(),
    ProblemState.IGNORED: set(),
}


class Problem(TenantModel):
    """The errors inbox: anything that needs a human, with the actions its kind's handler offers."""

    kind = models.CharField(max_length=60)
    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, null=True, blank=True, related_name="problems")
    store_connection = models.ForeignKey("connections.StoreConnection", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    message = models.TextField()
    excerpt = models.JSONField(null=True, blank=True, help_text="Redacted payload, e.g. a quarantined record")
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=200, help_text="Same fingerprint, same open problem: repeats are counted")
    state = models.CharField(max_length=10, choices=ProblemState.choices, default=ProblemState.OPEN)
    occurrences = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "fingerprint"], condition=Q(state="open"), name="one_open_problem_per_fingerprint"
            )
        ]
        indexes = [
            models.Index(fields=["merchant", "state", "kind"], name="problem_inbox_idx"),
            models.Index(fields=["merchant", "state", "-updated_at", "-id"], name="problem_inbox_order_idx"),
            models.Index(fields=["merchant", "-id"], name="problem_api_list_idx"),
            # The metrics' open problems by kind, across merchants: open rows only.
            models.Index(fields=["kind"], condition=Q(state="open"), name="problem_open_kind_idx"),
            # The connections list's badge: a connection's open problems, never its resolved history.
            models.Index(fields=["connection"], condition=Q(state="open"), name="problem_open_connection_idx"),
        ]

    def __str__(self):
        return f"{self.kind}: {self.message[:60]}"

    def set_state(self, state: str) -> None:
        if state not in PROBLEM_TRANSITIONS[self.state]:
            raise IllegalTransition(f"a problem cannot go from {self.state} to {state}")
        self.state = state

    @property
    def is_open(self) -> bool:
        return self.state == ProblemState.OPEN


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_FLIGHT = "in_flight", _("In flight")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead")


OUTBOX_TRANSITIONS = {
    OutboxState.PENDING: {OutboxState.IN_FLIGHT, OutboxState.DEAD},
    OutboxState.IN_FLIGHT: {OutboxState.DONE, OutboxState.FAILED, OutboxState.DEAD, OutboxState.IN_FLIGHT},
    OutboxState.FAILED: {OutboxState.IN_FLIGHT, OutboxState.DEAD, OutboxState.PENDING},
    OutboxState.DEAD: {OutboxState.PENDING},
    OutboxState.DONE: set(),
}


class OutboxRow(TenantModel):
    """Abstract base of every effect on a remote system: written with the state change, executed by a worker.

    Claiming is a conditional UPDATE (see connections/sync/outbox.py), so no row ever runs twice at once.
    """

    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    idempotency_key = models.CharField(max_length=200, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when the sweeper enqueues the row and cleared by the claim, so a backlog is not enqueued again every minute.
    swept_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def set_state(self, state: str) -> None:
        if state not in OUTBOX_TRANSITIONS[self.state]:
            raise IllegalTransition(f"an outbox row cannot go from {self.state} to {state}")
        self.state = state

    def log_context(self) -> dict:
        """Ids every log line of this row's execution carries, beyond the row itself; kinds about an order add theirs."""
        return {}


class SyncRunDailyCount(TenantModel):
    """How many idle successful runs a connection's flow had on a day, kept when those runs are pruned."""

    connection = models.ForeignKey("connections.MiintoConnection", on_delete=models.CASCADE, related_name="+")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    day = models.DateField()
    runs = models.PositiveIntegerField(default=0)
    seen = models.PositiveIntegerField(default=0, help_text="Items those runs read")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "flow", "day"], name="one_run_count_per_flow_and_day")]
