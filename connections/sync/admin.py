"""Django admin for the sync machinery (runs, activity, problems), across merchants; rows are read-only records."""

from __future__ import annotations

from django.contrib import admin, messages

from connections.models import ActivityEntry, Problem, ProblemState, SyncRun
from connections.sync.outbox import outbox_retry
from connections.sync.problems import ProblemActionRefused, problem_handle, problem_ignore, problem_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the sync engine: viewable and deletable, never hand-edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OutboxAdmin(admin.ModelAdmin):
    """The admin of any app's outbox rows (registered by that app): their state, and a retry action."""

    list_display = ["idempotency_key", "merchant", "state", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["state"]
    search_fields = ["idempotency_key", "merchant__name"]
    list_select_related = ["merchant"]
    actions = ["retry"]

    @admin.action(description="Retry now")
    def retry(self, request, queryset):
        count = sum(1 for row in queryset if outbox_retry(row))
        self.message_user(request, f"Queued {count} row(s).")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "merchant", "connection", "flow", "trigger", "status", "created_at", "finished_at", "seen", "failed"]
    list_filter = ["status", "flow", "trigger"]
    search_fields = ["=id", "connection__shop_id", "connection__shop_name", "merchant__name"]
    list_select_related = ["merchant", "connection"]
    date_hierarchy = "created_at"


@admin.register(ActivityEntry)
class ActivityEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "merchant",
        "connection",
        "direction",
        "operation",
        "subject_type",
        "subject_id",
        "ok",
        "http_status",
    ]
    list_filter = ["direction", "ok", "subject_type"]
    search_fields = ["subject_id", "correlation_id", "operation", "connection__shop_id", "merchant__name"]
    list_select_related = ["merchant", "connection"]
    date_hierarchy = "created_at"
    raw_id_fields = ["run"]


def _problem_action(service, done: str, description: str):
    """An admin action applying a problem service to each selected open problem, in that problem's merchant."""

    @admin.action(description=description)
    def act(modeladmin, request, queryset):
        acted, refused = 0, []
        for problem in queryset.filter(state=ProblemState.OPEN).select_related("merchant"):
            try:
                service(merchant=problem.merchant, problem=problem, by=f"admin {request.user.get_username()}")
                acted += 1
            except ProblemActionRefused as error:
                refused.append(f"#{problem.pk}: {error}")
        modeladmin.message_user(request, f"{acted} problem(s) {done}.")
        if refused:
            modeladmin.message_user(request, " ".join(refused), level=messages.WARNING)

    act.__name__ = f"problems_{done}"
    return act


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ["id", "merchant", "kind", "connection", "message", "occurrences", "state", "updated_at"]
    list_filter = ["state", "kind"]
    search_fields = ["=id", "message", "fingerprint", "subject_id", "connection__shop_id", "merchant__name"]
    list_select_related = ["merchant", "connection"]
    actions = [
        _problem_action(problem_retry, "retried", "Retry selected open problems"),
        _problem_action(problem_handle, "handled", "Mark selected open problems handled"),
        _problem_action(problem_ignore, "ignored", "Ignore selected open problems"),
    ]
