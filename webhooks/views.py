"""Dashboard: Settings → Webhooks. Owners register and manage endpoints; every member reads the delivery log."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koongo.accounts.decorators import merchant_required, owner_required
from webhooks import selectors, services
from webhooks.forms import EndpointForm, RotateForm
from webhooks.models import WebhookEndpoint

LOG_SIZE = 50


def _apply_errors(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@merchant_required
def endpoint_list(request):
    form = EndpointForm()
    if request.method == "POST":
        if request.membership.role != "owner":
            messages.error(request, _("Only an owner can register webhook endpoints."))
            return redirect("webhooks:list")
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = services.endpoint_create(merchant=request.merchant, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                # The secret is shown on this one answer and never again.
                return render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "created": True})
    context = {"endpoints": selectors.endpoints(request.merchant), "form": form, "is_owner": request.membership.role == "owner"}
    return render(request, "webhooks/list.html", context)


def _endpoint(request, pk) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, merchant=request.merchant, pk=pk)


@merchant_required
def endpoint_detail(request, pk):
    endpoint = _endpoint(request, pk)
    form = EndpointForm(initial={"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types})
    if request.method == "POST":
        if request.membership.role != "owner":
            messages.error(request, _("Only an owner can change webhook endpoints."))
            return redirect("webhooks:detail", pk=pk)
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                services.endpoint_update(endpoint=endpoint, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Endpoint saved."))
                return redirect("webhooks:detail", pk=pk)
    deliveries = list(selectors.deliveries(request.merchant).filter(endpoint=endpoint)[:LOG_SIZE])
    by_delivery: dict[int, list] = {}
    for attempt in selectors.attempts(request.merchant, [d.pk for d in deliveries]):
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    for delivery in deliveries:
        delivery.attempt_rows = by_delivery.get(delivery.pk, [])
    context = {
        "endpoint": endpoint, "form": form, "rotate_form": RotateForm(), "deliveries": deliveries,
        "is_owner": request.membership.role == "owner",
    }
    return render(request, "webhooks/detail.html", context)


@require_POST
@owner_required
def endpoint_action(request, pk, action):
    endpoint = _endpoint(request, pk)
    if action == "pause":
        services.endpoint_pause(endpoint=endpoint)
        messages.success(request, _("Endpoint paused: events are kept and sent when you resume."))
    elif action == "resume":
        services.endpoint_resume(endpoint=endpoint)
        messages.success(request, _("Endpoint active again: waiting events are being sent."))
    elif action == "test":
        services.endpoint_send_test(endpoint=endpoint)
        messages.success(request, _("Test event sent: see the delivery log below."))
    elif action == "delete":
        services.endpoint_delete(endpoint=endpoint)
        messages.success(request, _("Endpoint deleted."))
        return redirect("webhooks:list")
    elif action == "rotate":
        form = RotateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
            return redirect("webhooks:detail", pk=pk)
        secret = services.endpoint_rotate_secret(endpoint=endpoint, overlap=timedelta(hours=form.cleaned_data["overlap_hours"]))
        return render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "created": False})
    else:
        return redirect("webhooks:detail", pk=pk)
    return redirect("webhooks:detail", pk=pk)


@require_POST
@owner_required
def delivery_resend(request, pk, delivery_pk):
    endpoint = _endpoint(request, pk)
    delivery = get_object_or_404(selectors.deliveries(request.merchant), endpoint=endpoint, pk=delivery_pk)
    services.delivery_resend(delivery=delivery)
    messages.success(request, _("Event %(event)s sent again.") % {"event": delivery.event_id})
    return redirect("webhooks:detail", pk=pk)
