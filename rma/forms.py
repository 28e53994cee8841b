"""Dashboard forms for RMAs: the decision reason, a manual RMA request, and the per-connection settings."""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rma.models import RmaSettings


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=_("Required: Miinto shows it with the decision, and the buyer sees it in Miinto's e-mail."),
        error_messages={"required": _("A reason is required to accept or decline an RMA.")},
    )


def _quantity_label(line) -> str:
    """'TEE-BLK-M (position 1001, ordered 2)': the SKU or title is the store's data, so it is marked untranslatable."""
    item = line.sku or line.title
    shown = format_html('<span translate="no">{}</span>', item) if item else gettext("item")
    sentence = conditional_escape(gettext("%(item)s (position %(position)s, ordered %(quantity)s)"))
    return mark_safe(sentence % {"item": conditional_escape(shown), "position": line.miinto_position_id, "quantity": line.quantity})


class RmaRequestForm(forms.Form):
    """One quantity per order line (0 leaves the line out) and a reason."""

    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        for line in order.lines.all():
            self.fields[f"qty_{line.miinto_position_id}"] = forms.IntegerField(
                label=_quantity_label(line),
                min_value=0,
                max_value=line.quantity,
                initial=0,
                widget=forms.NumberInput(attrs={"class": "form-control"}),
            )
        self.order_fields([*[name for name in self.fields if name.startswith("qty_")], "reason"])

    def quantities(self) -> dict[int, int]:
        return {
            int(name.removeprefix("qty_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("qty_") and value
        }


class RmaSettingsForm(forms.ModelForm):
    class Meta:
        model = RmaSettings
        fields = ["restock_refunds"]
        widgets = {"restock_refunds": forms.CheckboxInput(attrs={"class": "form-check-input"})}
        help_texts = {"restock_refunds": _("Refunds we create in the store for accepted RMAs put the items back in stock.")}
