"""Dashboard forms: Mark as shipped, a comment on the order, and a carrier mapping."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from connections.widgets import DataSelect
from orders.comments import BODY_LIMIT
from orders.shipments.carrier_mapping import Provider


class MarkShippedForm(forms.Form):
    """Provider from Miinto's list for the order, tracking number, and the positions (all unsent ones when none is ticked)."""

    provider_id = forms.ChoiceField(label=_("Shipping provider"), widget=DataSelect(attrs={"class": "form-select"}))
    tracking_number = forms.CharField(max_length=200, label=_("Tracking number"), widget=forms.TextInput(attrs={"class": "form-control"}))
    tracking_url = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        label=_("Tracking link (optional)"),
        widget=forms.URLInput(attrs={"class": "form-control"}),
    )
    position_ids = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label=_("Positions"),
        help_text=_("Leave all unticked to ship every position not sent yet."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, providers: list[Provider], positions: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # Choices per instance, from Miinto's list for this order; a value outside it is a field error.
        self.fields["provider_id"].choices = [(p.id, p.name) for p in providers]
        self.fields["position_ids"].choices = positions


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=BODY_LIMIT, widget=forms.Textarea(attrs={"class": "form-control", "rows": 3})
    )


class CarrierMappingForm(forms.Form):
    carrier = forms.CharField(
        max_length=200,
        label=_("Store carrier"),
        help_text=_("As the store reports it, e.g. GLS or PostNord."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    provider_id = forms.ChoiceField(label=_("Miinto provider"), widget=DataSelect(attrs={"class": "form-select"}))

    def __init__(self, *args, providers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.provider_names = dict(providers)
        self.fields["provider_id"].choices = providers
