"""Dashboard pages of the sync machinery: errors inbox, run detail with live progress, activity, Synchronize Orders."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from connections.models import Flow, ProblemState, Trigger
from connections.problem_links import attach_links
from connections.sync import selectors
from connections.sync.forms import ActivityFilterForm, ProblemFilterForm
from connections.sync.problems import PROBLEM_ACTIONS, ProblemActionRefused, problem_kinds, problem_retry_all
from connections.sync.runs import SyncRefused, sync_request
from koongo.accounts.decorators import merchant_required, write_required
from koongo.keyset import keyset_page

PAGE_SIZE = 50
RUN_ACTIVITY_LIMIT = 100
DONE_MESSAGES = {"retry": gettext_lazy("Retried."), "handle": gettext_lazy("Marked as handled."), "ignore": gettext_lazy("Ignored.")}


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _back(request, default: str):
    """Where a POST goes afterwards: the page's `next` if it is ours, else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@merchant_required
def problem_list(request):
    data = request.GET.copy()
    data.setdefault("state", ProblemState.OPEN)
    form = ProblemFilterForm(data, merchant=request.merchant)
    # Keyset pages in the inbox's order (its index): no COUNT(*) over every problem the merchant ever had.
    page = keyset_page(selectors.problems_for(request.merchant, **form.filters()), request, ordering=["-updated_at", "-pk"], size=PAGE_SIZE)
    kinds = problem_kinds()
    states = {code: str(label) for code, label in ProblemState.choices}  # get_state_display rebuilt the choices per row
    # An action's URL is the inbox's + "<pk>/<action>/" (urls.py): three `{% url %}` a row were a tenth of the page.
    inbox = reverse("connections:problems")
    for problem in page:
        problem.actions_url = f"{inbox}{problem.pk}/"
        kind = kinds.get(problem.kind)
        problem.kind_label = kind.label if kind else problem.kind
        problem.state_label = states.get(problem.state, problem.state)
        problem.retryable = bool(kind and kind.retryable)
    attach_links(request.merchant, page)
    retry_all = [
        {"kind": code, "label": kinds[code].label, "count": count}
        for code, count in selectors.open_problem_counts(request.merchant).items()
        if code in kinds and kinds[code].retryable
    ]
    context = {"form": form, "page": page, "retry_all": retry_all, "query": _query_without_page(request)}
    return render(request, "connections/problems.html", context)


@write_required
@require_POST
def problem_action(request, pk: int, action: str):
    service = PROBLEM_ACTIONS.get(action)
    if service is None:
        raise Http404("No such action.")
    problem = selectors.problem_get(request.merchant, pk)
    try:
        service(merchant=request.merchant, problem=problem, by=request.user.get_username())
        messages.success(request, DONE_MESSAGES[action])
    except ProblemActionRefused as refused:
        messages.error(request, str(refused))
    return _back(request, reverse("connections:problems"))


@write_required
@require_POST
def problems_retry_all(request):
    kind = request.POST.get("kind", "")
    if kind not in problem_kinds():
        messages.error(request, _("Choose a kind of problem to retry."))
    else:
        try:
            count = problem_retry_all(merchant=request.merchant, kind=kind, by=request.user.get_username())
            messages.success(request, ngettext("%(count)s problem retried.", "%(count)s problems retried.", count) % {"count": count})
        except ProblemActionRefused as refused:
            messages.error(request, str(refused))
    return _back(request, reverse("connections:problems"))


@merchant_required
def run_detail(request, pk: int):
    run = selectors.sync_run_get(request.merchant, pk)
    activity = selectors.activity_for(request.merchant, run_id=run.pk)[:RUN_ACTIVITY_LIMIT]
    context = {"run": run, "activity": activity, "activity_limit": RUN_ACTIVITY_LIMIT}
    return render(request, "connections/run_detail.html", context)


@merchant_required
def run_progress(request, pk: int):
    run = selectors.sync_run_get(request.merchant, pk)
    return render(request, "connections/_run_progress.html", {"run": run})


@write_required
@require_POST
def connection_sync(request, pk: int):
    """The Synchronize Orders button: queue an orders run (or find the active one) and show its progress."""
    connection = selectors.sync_connection_get(request.merchant, pk)
    try:
        run = sync_request(connection=connection, flow=Flow.ORDERS, trigger=Trigger.BUTTON)
    except SyncRefused as refused:
        reason = " ".join(refused.messages)
        if _is_htmx(request):
            return render(request, "connections/_sync_refused.html", {"reason": reason})
        messages.error(request, reason)
        return _back(request, reverse("overview"))
    if _is_htmx(request):
        return render(request, "connections/_run_progress.html", {"run": run})
    messages.success(request, _("Orders synchronization %(status)s.") % {"status": run.get_status_display().lower()})
    return _back(request, reverse("connections:run-detail", args=[run.pk]))


@merchant_required
def activity_list(request):
    form = ActivityFilterForm(request.GET, merchant=request.merchant)
    page = keyset_page(selectors.activity_for(request.merchant, **form.filters()), request, ordering=["-created_at", "-pk"], size=PAGE_SIZE)
    context = {"form": form, "page": page, "query": _query_without_page(request)}
    return render(request, "connections/activity.html", context)
