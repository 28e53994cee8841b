"""The identification check: try each identifier attribute on a sample of the Product Map and propose the one that
matches the store's catalog (shown right after the add-connection wizard, on the connection page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connections import selectors as connection_selectors
from connections import services
from koongo.accounts.decorators import merchant_required, write_required
from orders.matching import attribute_rates, map_sample


def _check(connection) -> dict:
    choices = connection_selectors.identifier_attribute_choices(connection.store_connection)
    labels = dict(choices)
    sample = map_sample(connection)
    rates = attribute_rates(connection, sample, [code for code, _ in choices]) if connection.store_connection_id else []
    configured = connection.order_configuration.product_identification_attribute
    best = rates[0] if rates and rates[0].matched else None
    return {
        "connection": connection, "rows": [(rate, labels.get(rate.attribute, rate.attribute)) for rate in rates],
        "sampled": len(sample), "configured": configured,
        "proposal": best if best is not None and best.attribute != configured and best.matched > _matched(rates, configured) else None,
    }


def _matched(rates, attribute: str) -> int:
    return next((rate.matched for rate in rates if rate.attribute == attribute), 0)


@merchant_required
def identification_check(request, pk):
    """The match rate of each attribute; a fragment for the connection page (htmx), a page of its own otherwise."""
    connection = connection_selectors.miinto_connection(request.merchant, pk)
    template = "orders/_identification_check.html" if request.headers.get("HX-Request") == "true" else "orders/identification_check.html"
    return render(request, template, _check(connection))


@write_required
@require_POST
def identification_apply(request, pk):
    """Use the proposed attribute: it must be one of the store's identifier attributes."""
    connection = connection_selectors.miinto_connection(request.merchant, pk)
    attribute = request.POST.get("attribute", "")
    codes = {code for code, _ in connection_selectors.identifier_attribute_choices(connection.store_connection)}
    if attribute not in codes:
        messages.error(request, _("product_identification_attribute: %(attribute)s is not an identifier attribute of this store.")
                       % {"attribute": repr(attribute)})
        return redirect("connections:detail", pk=pk)
    try:
        services.order_configuration_update(configuration=connection.order_configuration, product_identification_attribute=attribute)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _('Orders now identify products by "%(attribute)s". Waiting positions are matched again at the next sync.')
                         % {"attribute": attribute})
    return redirect("connections:detail", pk=pk)
