"""The dashboard's "Reconcile now" form: a connection and the days to compare, in the merchant's time zone."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connections.widgets import DataSelect
from koongo.day_ranges import merchant_zone


class StartForm(forms.Form):
    connection = forms.TypedChoiceField(coerce=int, label=gettext_lazy("Connection"), widget=DataSelect)
    first_day = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=gettext_lazy("To (included)"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, connections=(), merchant=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices from the caller's scoped list: a queryset in the class body would be evaluated outside any scope.
        self.fields["connection"].choices = [(c.pk, str(c)) for c in connections]
        today = timezone.now().astimezone(merchant_zone(merchant)).date()
        self.fields["first_day"].initial = today - timedelta(days=1)
        self.fields["last_day"].initial = today

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The last day comes before the first."))
        return cleaned
