"""Dashboard views for shipments and labels: Mark as shipped, comments, label links (and their public download), carriers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from connections.selectors import miinto_connection, miinto_connections, shipping_provider_choices
from koongo.accounts.decorators import merchant_required, write_required
from koongo.accounts.tenancy import merchant_scope
from koongo.http import HttpError
from orders.comments import comment_add
from orders.shipments import selectors
from orders.shipments.carrier_mapping import Provider, carrier_key, carrier_mapping_delete, carrier_mapping_set, provider_for
from orders.shipments.forms import CarrierMappingForm, CommentForm, MarkShippedForm
from orders.shipments.labels import label_link_downloaded, label_link_find, label_link_revoke
from orders.shipments.services import mark_as_shipped_check, shipment_mark, shipment_send_now

# Exactly the headers the capability link promises: nothing cached, indexed or leaked through a Referer.
LABEL_HEADERS = {"X-Robots-Tag": "noindex", "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def actor_name(request) -> str:
    return f"user:{request.user.get_username()}"


def order_page(order, tab: str) -> str:
    """The order's page (it lives on its transfer) at one tab."""
    if order.transfer_id is None:
        return reverse("orders:list")
    return f"{reverse('orders:detail', args=[order.transfer_id])}?tab={tab}"


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{message}" for messages_ in error.message_dict.values() for message in messages_)
    return " ".join(error.messages)


@write_required
@require_POST
def shipment_mark_view(request, order_pk):
    """Mark a Stock only order shipped and send it to Miinto now; errors come back on the Shipments tab."""
    order = selectors.order(request.merchant, order_pk)
    back = order_page(order, "shipments")
    try:
        providers = selectors.order_providers(order)
    except HttpError:
        messages.error(request, _("Miinto did not answer with the shipping providers of this order; try again shortly."))
        return redirect(back)
    form = MarkShippedForm(
        request.POST, providers=providers, positions=[(line.miinto_position_id, "") for line in order.lines.all()]
    )
    if not form.is_valid():
        messages.error(
            request, " ".join(f"{form.fields[name].label or name}: {' '.join(errors)}" for name, errors in form.errors.items())
        )
        return redirect(back)
    data = form.cleaned_data
    try:
        provider, positions = mark_as_shipped_check(
            order=order,
            providers=providers,
            provider_id=data["provider_id"],
            tracking_number=data["tracking_number"],
            position_ids=data["position_ids"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(back)
    shipment = shipment_send_now(
        shipment_mark(
            merchant=request.merchant,
            order=order,
            provider=provider,
            tracking_number=data["tracking_number"],
            tracking_url=data["tracking_url"],
            position_ids=positions,
            actor=actor_name(request),
        )
    )
    if shipment.status == "sent":
        messages.success(
            request,
            _("Sent to Miinto: %(provider)s, tracking %(tracking)s.")
            % {"provider": shipment.provider_name, "tracking": shipment.tracking_number},
        )
    else:
        messages.warning(
            request, _("Recorded; Miinto has not confirmed it yet and it will be retried (%(error)s).") % {"error": shipment.push.last_error}
        )
    return redirect(back)


@write_required
@require_POST
def comment_add_view(request, order_pk):
    order = selectors.order(request.merchant, order_pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        comment_add(merchant=request.merchant, order=order, author=actor_name(request), body=form.cleaned_data["body"])
        messages.success(request, _("Comment added."))
    else:
        messages.error(request, " ".join(form.errors.get("body", [_("Write a comment.")])))
    return redirect(order_page(order, "comment"))


@write_required
@require_POST
def label_revoke_view(request, pk):
    link = selectors.label_link(request.merchant, pk)
    label_link_revoke(merchant=request.merchant, link=link, by=actor_name(request))
    messages.success(request, _("The label link is revoked; it now answers 404."))
    return redirect(order_page(link.label.order, "comment"))


@require_GET
def label_download(request, token):
    """The capability URL: no login; a wrong, malformed or revoked token answers the same 404."""
    link = label_link_find(token)
    if link is None:
        raise Http404("No such label.")
    with merchant_scope(link.merchant):
        label = link.label
        with label.file.open("rb") as handle:
            content = handle.read()
        label_link_downloaded(link)
        order = label.order
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"miinto-label-{order.parent_order_id or order.miinto_id}.pdf"
    )
    for name, value in LABEL_HEADERS.items():
        response[name] = value
    return response


# --- carrier mappings ----------------------------------------------------------------------


@merchant_required
def carrier_mappings_index(request):
    return render(request, "orders/carrier_mappings_index.html", {"connections": miinto_connections(request.merchant)})


@write_required
def carrier_mappings_view(request, connection_pk):
    """The mapping table of one connection, the carriers seen, and what each resolves to without a mapping."""
    connection = miinto_connection(request.merchant, connection_pk)
    providers = shipping_provider_choices(connection)
    form = CarrierMappingForm(request.POST or None, providers=providers, initial={"carrier": request.GET.get("carrier", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            carrier_mapping_set(
                merchant=request.merchant,
                connection=connection,
                carrier=data["carrier"],
                provider_id=data["provider_id"],
                provider_name=form.provider_names[data["provider_id"]],
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request,
                _("%(carrier)s now maps to %(provider)s.")
                % {"carrier": data["carrier"], "provider": form.provider_names[data["provider_id"]]},
            )
            return redirect("orders:carrier-mappings-connection", connection_pk=connection.pk)
    mappings = list(selectors.carrier_mappings(request.merchant, connection))
    mapped = {m.carrier_key for m in mappings}
    market_providers = [Provider(pid, name) for pid, name in providers]
    configuration = connection.order_configuration
    seen = []
    for carrier in selectors.carriers_seen(request.merchant, connection):
        resolution = provider_for(carrier, market_providers, default_id=configuration.default_shipping_provider_id)
        seen.append({"carrier": carrier, "resolution": resolution, "mapped": carrier_key(carrier) in mapped})
    context = {
        "connection": connection,
        "mappings": mappings,
        "seen": seen,
        "form": form,
        "providers": providers,
        "configuration": configuration,
    }
    return render(request, "orders/carrier_mappings.html", context)


@write_required
@require_POST
def carrier_mapping_delete_view(request, pk):
    mapping = selectors.carrier_mapping(request.merchant, pk)
    carrier_mapping_delete(merchant=request.merchant, mapping=mapping)
    messages.success(request, _("Mapping of %(carrier)s removed.") % {"carrier": mapping.carrier})
    return redirect("orders:carrier-mappings-connection", connection_pk=mapping.connection_id)
