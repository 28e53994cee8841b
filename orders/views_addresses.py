"""The dashboard page to correct an order's shipping or billing address (Miinto sent it incomplete)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from koongo.accounts.decorators import write_required
from orders import selectors
from orders.addresses import WHICH, AddressForm, order_address_update
from orders.views import actor_name

# Whole sentences per address and outcome (no glued fragments), so translations can word each one.
SAVED = {
    "shipping": (_("The shipping address is saved."), _("The shipping address is saved. The store order is being created again.")),
    "billing": (_("The billing address is saved."), _("The billing address is saved. The store order is being created again.")),
}


@write_required
def address_edit(request, pk, which):
    order = selectors.order(request.merchant, pk)
    if which not in WHICH:
        raise Http404
    current = getattr(order, f"{which}_address") or {}
    form = AddressForm(request.POST or None, initial={k: current.get(k, "") for k in AddressForm.base_fields})
    if request.method == "POST" and form.is_valid():
        retried = order_address_update(order=order, which=which, data=form.cleaned_data, by=actor_name(request))
        messages.success(request, SAVED[which][bool(retried)])
        return redirect(f"{order_url(order)}?tab=addresses")
    return render(request, "orders/address_edit.html", {"order": order, "which": which, "form": form},
                  status=400 if request.method == "POST" else 200)


def order_url(order) -> str:
    from django.urls import reverse

    return reverse("orders:detail", kwargs={"pk": order.transfer_id})
