"""Dashboard pages of the catalog: connections' catalogs, a connection's products, a product, the Refresh catalog and
Push stock now buttons, feed credentials (shown once) and stock settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from catalog import selectors
from catalog.feed_access import feed_credentials_rotate
from catalog.forms import StockSettingsForm
from catalog.services import catalog_settings_update
from connections.models import Flow, Trigger
from connections.selectors import miinto_connection, miinto_connections
from connections.sync.runs import SyncRefused, sync_request
from koongo.accounts.decorators import merchant_required, write_required
from koongo.keyset import keyset_page

PAGE_SIZE = 50
FILTERS = [("", _("Live products")), ("problems", _("Mapping problems")), ("out_of_stock", _("Out of stock")),
           ("never_exported", _("Never exported")), ("removed", _("Gone from the store"))]  # fmt: skip
# Whole sentences per flow; the run's status label comes from its choices.
SYNC_FLOWS = {"catalog": (Flow.CATALOG, _("Catalog refresh %(status)s.")), "stock": (Flow.STOCK, _("Stock push %(status)s."))}


@merchant_required
def catalog_index(request):
    """Every Miinto connection with its store's product count and its feed's state; three queries."""
    connections = list(miinto_connections(request.merchant))
    listing_counts = selectors.listing_counts(request.merchant)
    product_counts = selectors.product_counts(request.merchant)
    rows = [
        {"connection": c, "products": product_counts.get(c.store_connection_id, 0), **listing_counts.get(c.pk, {})}
        for c in connections
    ]
    return render(request, "catalog/index.html", {"rows": rows})


@merchant_required
def connection_products(request, pk: int):
    connection = miinto_connection(request.merchant, pk)
    query, show = request.GET.get("q", ""), request.GET.get("show", "")
    found = selectors.connection_products(request.merchant, connection, q=query, show=show)
    page = keyset_page(found, request, ordering=["title", "size", "pk"], size=PAGE_SIZE)
    context = {
        "connection": connection,
        "page": page,
        "filters": FILTERS,
        "show": show,
        "q": query,
    }
    return render(request, "catalog/products.html", context)


@merchant_required
def product_detail(request, pk: int):
    product = selectors.product(request.merchant, pk)
    current_key = {"group": product.item_group_id, "brand": product.brand, "color": product.color, "size": product.size}
    listings = list(product.listings.all())
    context = {
        "product": product,
        "listings": listings,
        "key": product.stock_key(),
        # Miinto knows the key once it was exported; it is copied into exported_key only when the store changes it.
        "key_frozen": product.exported_key is not None or any(listing.exported_stock_at for listing in listings),
        "key_differs": product.exported_key is not None and product.exported_key != current_key,
        "current_key": current_key,
    }
    return render(request, "catalog/product_detail.html", context)


@write_required
@require_POST
def connection_sync(request, pk: int, flow: str):
    """The Refresh catalog and Push stock now buttons: queue a run (or find the active one) and show it."""
    connection = miinto_connection(request.merchant, pk)
    if flow not in SYNC_FLOWS:
        raise Http404("No such flow.")
    flow_code, label = SYNC_FLOWS[flow]
    try:
        run = sync_request(connection=connection, flow=flow_code, trigger=Trigger.BUTTON)
    except SyncRefused as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("catalog:products", pk=connection.pk)
    messages.success(request, label % {"status": run.get_status_display().lower()})
    return redirect("connections:run-detail", pk=run.pk)


@write_required
@require_POST
def feed_credentials(request, pk: int):
    """Issue (or rotate) the feed's Basic Auth credentials and show the password this once; never redirected or stored."""
    connection = miinto_connection(request.merchant, pk)
    credentials = feed_credentials_rotate(connection=connection)
    response = render(request, "catalog/feed_credentials.html", {"connection": connection, "credentials": credentials})
    response["Cache-Control"] = "no-store"
    return response


@write_required
@require_POST
def stock_settings(request, pk: int):
    connection = miinto_connection(request.merchant, pk)
    form = StockSettingsForm(request.POST)
    if form.is_valid():
        catalog_settings_update(connection=connection, **form.cleaned_data)
        messages.success(request, gettext("Stock settings saved."))
    else:
        errors = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, gettext("Stock settings not saved. %(errors)s") % {"errors": errors})
    return redirect("catalog:products", pk=connection.pk)
