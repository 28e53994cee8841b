"""Dashboard views for RMAs: the list, one RMA with its accept and decline forms, Needs attention, a store refund's
choices, manual RMA requests, per-connection settings, and the digest opt-out.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connections.selectors import miinto_connection, miinto_connections
from koongo.accounts.decorators import merchant_required, write_required
from rma import selectors, services
from rma.forms import DecisionForm, RmaRequestForm, RmaSettingsForm
from rma.models import DecisionOutcome, RmaStatus, StoreRefundStatus

PAGE_SIZE = 50
OUTCOMES = {"accept": DecisionOutcome.ACCEPTED, "decline": DecisionOutcome.DECLINED}


def actor_name(request) -> str:
    return f"user:{request.user.get_username()}"


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back(request, default: str) -> str:
    """The form's `next` when it is a path on this site, else `default`."""
    wanted = request.POST.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return wanted if wanted and allowed else default


@merchant_required
def rma_list(request):
    """Keyset pages, newest first, with the status, connection, origin and age filters."""
    found = selectors.rmas_filtered(request.merchant, request.GET)
    before = request.GET.get("before")
    if before and before.isdigit():
        found = found.filter(pk__lt=int(before))
    page = list(found[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    params = request.GET.copy()
    params.pop("before", None)
    connections = list(miinto_connections(request.merchant))
    context = {
        "rmas": page,
        "next_before": page[-1].pk if has_more else None,
        "params": params.urlencode(),
        "connections": connections,
        "china": [c for c in connections if c.is_china],
        "filters": request.GET,
        "ages": selectors.AGES,
        "statuses": RmaStatus.choices,
        "digest_opted_out": selectors.digest_opted_out(request.merchant, request.user),
    }
    return render(request, "rma/list.html", context)


def _detail(request, rma, bound=None, outcome="", status=200):
    forms = {name: DecisionForm(auto_id=f"{name}_%s") for name in OUTCOMES}
    if bound is not None:
        forms[outcome] = bound
    context = {
        "rma": rma,
        "deciding": selectors.decision_in_flight(rma),
        "accept_form": forms["accept"],
        "decline_form": forms["decline"],
        **selectors.connection_scopes(rma.connection),
        "problems": selectors.open_problems(request.merchant, "rma", [rma.pk]).get(str(rma.pk), []),
        "activity": selectors.communications(request.merchant, [("rma", [rma.pk])]),
    }
    return render(request, "rma/detail.html", context, status=status)


@merchant_required
def rma_detail(request, pk):
    return _detail(request, selectors.rma(request.merchant, pk))


@write_required
@require_POST
def rma_decision(request, pk, outcome):
    """Accept or decline with a reason; Miinto is told right away, so the page shows the outcome."""
    rma = selectors.rma(request.merchant, pk)
    if outcome not in OUTCOMES:
        return render(request, "404.html", status=404)
    form = DecisionForm(request.POST, auto_id=f"{outcome}_%s")
    if not form.is_valid():
        return _detail(request, rma, form, outcome, status=400)
    try:
        services.rma_decide(
            merchant=request.merchant, rma=rma, outcome=OUTCOMES[outcome], reason=form.cleaned_data["reason"],
            actor=actor_name(request),
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("rma:detail", pk=rma.pk)
    # The push to Miinto was queued when the decision committed; the page shows its state.
    messages.success(request, _("RMA %(id)s: the decision is recorded and is being sent to Miinto.") % {"id": rma.miinto_id})
    return redirect("rma:detail", pk=rma.pk)


@write_required
@require_POST
def rma_refund_done(request, pk):
    """The merchant entered the return in the store by hand."""
    rma = selectors.rma(request.merchant, pk)
    if services.manual_refund_done(merchant=request.merchant, rma=rma, by=actor_name(request)):
        messages.success(request, _("RMA %(id)s: marked as entered in the store.") % {"id": rma.miinto_id})
    else:
        messages.info(request, _("Nothing was waiting to be entered by hand for this RMA."))
    return redirect(_back(request, reverse("rma:detail", args=[rma.pk])))


@merchant_required
def needs_attention(request):
    return render(request, "rma/needs_attention.html", selectors.needs_attention(request.merchant))


@merchant_required
def store_refund_detail(request, pk):
    store_refund = selectors.store_refund(request.merchant, pk)
    context = {
        "refund": store_refund,
        "pending": selectors.pending_rmas_of(request.merchant, store_refund.order_id),
        "problems": selectors.open_problems(request.merchant, "store_refund", [store_refund.pk]).get(str(store_refund.pk), []),
        "choosing": store_refund.status == StoreRefundStatus.NEEDS_ATTENTION,
        "manual": store_refund.status == StoreRefundStatus.MANUAL,
    }
    return render(request, "rma/store_refund.html", context)


@write_required
@require_POST
def store_refund_action(request, pk, action):
    """Accept a pending RMA with this refund, create an RMA request from it, ignore it, or mark it done."""
    store_refund = selectors.store_refund(request.merchant, pk)
    rma = None
    if action == "accept" and str(request.POST.get("rma") or "").isdigit():
        rma = selectors.rmas(request.merchant).filter(pk=int(request.POST["rma"])).first()
    try:
        services.store_refund_resolve(
            merchant=request.merchant, store_refund=store_refund, action=action, by=actor_name(request), rma=rma
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Done."))
    return redirect("rma:store-refund", pk=store_refund.pk)


@write_required
@require_POST
def rma_request_done(request, pk):
    push = selectors.request_push(request.merchant, pk)
    try:
        services.rma_request_done(merchant=request.merchant, push=push, by=actor_name(request))
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect(_back(request, reverse("rma:needs-attention")))


@write_required
@require_POST
def order_rma_request(request, order_pk):
    """A manual RMA request from the order's RMA tab (scenario 1 by hand)."""
    order = selectors.order(request.merchant, order_pk)
    form = RmaRequestForm(request.POST, order=order)
    back = f"{reverse('orders:detail', args=[order.transfer_id])}?tab=rma" if order.transfer_id else reverse("rma:list")
    if not form.is_valid():
        errors = "; ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, _("Check the quantities: %(errors)s") % {"errors": errors})
        return redirect(back)
    try:
        services.rma_request_create(
            merchant=request.merchant, order=order, quantities=form.quantities(), reason=form.cleaned_data["reason"],
            actor=actor_name(request),
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect(back)
    messages.success(request, _("The RMA request is recorded and is being sent to Miinto."))
    return redirect(back)


@write_required
def connection_settings(request, pk):
    connection = miinto_connection(request.merchant, pk)
    settings = services.rma_settings_get(connection)
    form = RmaSettingsForm(request.POST if request.method == "POST" else None, instance=settings)
    if request.method == "POST" and form.is_valid():
        services.rma_settings_update(connection=connection, restock_refunds=form.cleaned_data["restock_refunds"])
        messages.success(request, _("RMA settings saved."))
        return redirect("rma:settings", pk=connection.pk)
    context = {"connection": connection, "form": form, **selectors.connection_scopes(connection)}
    return render(request, "rma/settings.html", context)


@merchant_required
@require_POST
def digest_preference(request):
    """Each user's own e-mail preference: a viewer may turn off e-mails to themself too."""
    opted_out = request.POST.get("digest") == "off"
    services.digest_opt_out_set(merchant=request.merchant, user=request.user, opted_out=opted_out)
    messages.success(request, _("You will no longer get RMA e-mails.") if opted_out else _("You will get RMA e-mails again."))
    return redirect("rma:list")
