"""Correcting an order's address by hand: Miinto sent it incomplete, we never invent the missing parts, the merchant
fills them in and the store push that stopped on it is retried."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import OutboxState, Problem, ProblemState
from connections.sync.outbox import OUTBOX_DEAD, outbox_retry
from orders.models import Order, StorePush

WHICH = ("shipping", "billing")


class AddressForm(forms.Form):
    """The parts of an address a store order needs; each error names its field."""

    name = forms.CharField(max_length=200, required=False, label=_("Name"))
    street = forms.CharField(max_length=300, label=_("Street"))
    postcode = forms.CharField(max_length=20, label=_("Postcode"))
    city = forms.CharField(max_length=100, label=_("City"))
    country_code = forms.RegexField(
        regex=r"^[A-Za-z]{2}$", label=_("Country"), help_text=_("Two-letter ISO code, e.g. DK."),
        error_messages={"invalid": _("Enter the two-letter ISO country code, e.g. DK or SE.")},
    )

    def clean_country_code(self) -> str:
        return self.cleaned_data["country_code"].upper()


@transaction.atomic
def order_address_update(*, order: Order, which: str, data: dict, by: str) -> int:
    """Store the corrected address and retry the order's stuck store pushes (closing their problems); returns how many."""
    if which not in WHICH:
        raise ValueError(which)
    field = f"{which}_address"
    setattr(order, field, {**(getattr(order, field) or {}), **data})
    order.save(update_fields=[field])
    stuck = list(StorePush.objects.filter(order=order, state__in=[OutboxState.DEAD, OutboxState.FAILED]))
    for push in stuck:
        outbox_retry(push)
    Problem.objects.filter(
        merchant=order.merchant, kind=OUTBOX_DEAD, state=ProblemState.OPEN, subject_type=StorePush._meta.label_lower,
        subject_id__in=[str(push.pk) for push in stuck],
    ).update(state=ProblemState.RETRIED, resolved_at=timezone.now(), resolved_by=by[:200])
    return len(stuck)
