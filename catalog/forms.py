"""Dashboard form for a connection's stock settings: the buffer held back and the full-reassert interval."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import CatalogSettings


class StockSettingsForm(forms.ModelForm):
    class Meta:
        model = CatalogSettings
        fields = ["stock_buffer", "full_reassert_hours"]
        labels = {"stock_buffer": _("Stock buffer"), "full_reassert_hours": _("Full stock reassert every (hours)")}
