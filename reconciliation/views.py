"""Dashboard pages: runs with their trend and a "Reconcile now" form, one run's counts and findings, its CSV, fixes."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connections.selectors import miinto_connection, miinto_connections
from koongo.accounts.decorators import merchant_required, write_required
from reconciliation import selectors, services
from reconciliation.forms import StartForm
from reconciliation.kinds import FindingKind
from reconciliation.models import Finding, RunTrigger

PAGE_SIZE = 50
CSV_COLUMNS = ["kind", "message", "miinto_order_id", "miinto_return_id", "miinto_position_id", "store_ref", "miinto_value",
               "store_value", "fix", "fixed_at"]  # fmt: skip


def _connection_filter(request) -> int | None:
    value = request.GET.get("connection", "")
    return int(value) if value.isdigit() else None


def _page(found, request):
    """Keyset page by id: `before` carries the last id shown, so a page never counts or offsets."""
    before = request.GET.get("before", "")
    if before.isdigit():
        found = found.filter(pk__lt=int(before))
    rows = list(found.order_by("-pk")[: PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], (rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None)


@merchant_required
def index(request):
    connection_id = _connection_filter(request)
    connections = list(miinto_connections(request.merchant))
    runs, next_before = _page(selectors.runs(request.merchant, connection_id), request)
    form = StartForm(connections=connections, merchant=request.merchant, initial={"connection": connection_id})
    return render(request, "reconciliation/index.html", {
        "runs": runs, "next_before": next_before, "form": form, "connections": connections, "connection_id": connection_id,
        "trend": selectors.trend(request.merchant, connection_id),
    })  # fmt: skip


@write_required
@require_POST
def start(request):
    connections = list(miinto_connections(request.merchant))
    form = StartForm(request.POST, connections=connections, merchant=request.merchant)
    if form.is_valid():
        connection = miinto_connection(request.merchant, form.cleaned_data["connection"])
        period = services.period_of_days(request.merchant, form.cleaned_data["first_day"], form.cleaned_data["last_day"])
        try:
            run = services.reconciliation_start(
                merchant=request.merchant, connection=connection, period_start=period[0], period_end=period[1],
                trigger=RunTrigger.BUTTON, actor=f"user:{request.user.get_username()}",
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Reconciliation started: this page shows its findings when it has finished."))
            return redirect("reconciliation:run", run.pk)
    else:
        messages.error(request, " ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()))
    return redirect("reconciliation:index")


@merchant_required
def run_detail(request, pk):
    run = selectors.run(request.merchant, pk)
    kind = request.GET.get("kind") if request.GET.get("kind") in FindingKind.values else None
    findings, next_before = _page(selectors.findings(request.merchant, run, kind), request)
    return render(request, "reconciliation/run.html", {
        "run": run, "counts": selectors.counts(run), "findings": findings, "next_before": next_before, "kind": kind,
    })  # fmt: skip


class _Echo:
    def write(self, value):
        return value


@merchant_required
def run_csv(request, pk):
    """Every finding of the run, streamed in id order through an iterator, so a large run never sits in memory."""
    run = selectors.run(request.merchant, pk)
    writer = csv.writer(_Echo())
    rows = selectors.findings(request.merchant, run).order_by("pk").values_list(*CSV_COLUMNS).iterator(chunk_size=500)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _with_header(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{run.pk}.csv"'
    return response


def _with_header(rows):
    yield CSV_COLUMNS
    yield from rows


@write_required
@require_POST
def finding_fix(request, pk):
    finding = get_object_or_404(Finding.objects.filter(merchant=request.merchant).select_related("connection", "rma"), pk=pk)
    try:
        services.finding_fix(finding=finding, by=f"user:{request.user.get_username()}")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(fix)s: queued. Run the reconciliation again to confirm it closed.") % {"fix": finding.get_fix_display()})
    return redirect("reconciliation:run", finding.run_id)
