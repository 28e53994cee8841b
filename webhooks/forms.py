"""Dashboard forms: an endpoint's URL, description and event types (checkboxes), and a rotation's overlap."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.event_types import EVENT_TYPE_CHOICES


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"), max_length=500, assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control", "placeholder": _("https://example.com/koongo-webhooks")}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    event_types = forms.MultipleChoiceField(
        label=_("Events to send"), choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event type.")},
    )


class RotateForm(forms.Form):
    overlap_hours = forms.IntegerField(
        label=_("Old secret keeps signing for (hours)"), min_value=0, max_value=168, initial=24,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
