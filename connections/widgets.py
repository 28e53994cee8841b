"""Form widgets for choices that are data: connection and store names, Miinto's providers, the store's attributes."""

from __future__ import annotations

from django import forms


class DataSelect(forms.Select):
    """A select whose options are names from our records, Miinto or the store: each carries translate="no"; the empty
    choice ("All connections", "— none —") is our own text and stays translatable."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        if value not in ("", None):
            option["attrs"]["translate"] = "no"
        return option
