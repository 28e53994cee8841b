"""Dashboard forms: the add-connection wizard, credentials, store connections and the Orders configuration."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from connections import thresholds
from connections.configuration_rules import YesNoField
from connections.models import MiintoEnvironmentName, OrderConfiguration
from connections.widgets import DataSelect

DATE_ERROR = _("Enter a real date in the format YYYY-MM-DD, e.g. 2021-03-20.")


class MiintoLoginForm(forms.Form):
    """Step 2 of the wizard: the Miinto account; the password stays server-side between steps (`wizard_session`)."""

    environment = forms.ChoiceField(label=_("Environment"), choices=MiintoEnvironmentName.choices)
    username = forms.CharField(max_length=200, label=_("Miinto username"))
    password = forms.CharField(widget=forms.PasswordInput, strip=False, label=_("Miinto password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The demo runs against the simulator, where production would fail with a DNS error.
        self.fields["environment"].initial = settings.MIINTO_DEFAULT_ENVIRONMENT


class MiintoStoreForm(MiintoLoginForm):
    """Step 3: the chosen shop location, the linked store connection and the activation switch."""

    shop_id = forms.CharField(label=_("Shop location"))
    store_connection = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("— none yet —"), widget=DataSelect)
    activate = forms.TypedChoiceField(
        label=_("Activate Order Synchronization"),
        choices=[("0", _("Disabled")), ("1", _("Active"))],
        coerce=lambda v: v == "1",
        initial="0",
    )

    def __init__(self, *args, store_connections, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per instance: a class-body queryset would be evaluated at import time, outside any tenant scope.
        self.fields["store_connection"].queryset = store_connections


class CredentialsForm(forms.Form):
    username = forms.CharField(max_length=200, label=_("Miinto username"))
    password = forms.CharField(widget=forms.PasswordInput, strip=False, label=_("New Miinto password"))


class PauseForm(forms.Form):
    reason = forms.CharField(max_length=500, initial=_("Paused by the merchant"))


class LinkStoreForm(forms.Form):
    store_connection = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("— none —"), widget=DataSelect)

    def __init__(self, *args, store_connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store_connection"].queryset = store_connections


# "97% of" is a percent sign, never a placeholder: the special comment tells xgettext so (it reads one literal only).
# xgettext:no-python-format
THRESHOLD_HELP = _("Applied to the most recent exported price (or the Reference Price Attribute if nothing was exported yet). 0.97 accepts an order whose item price is at least 97% of that price.")  # noqa: E501


class OrderConfigurationForm(forms.ModelForm):
    """The seed's Orders configuration; attribute and provider choices come from the store and from Miinto."""

    order_sync_active = forms.TypedChoiceField(
        label=_("Activate Order Synchronization"),
        choices=[("0", _("Disabled")), ("1", _("Active"))],
        coerce=lambda v: v in ("1", True, "True"),
        required=False,
        empty_value=None,  # not posted: leave the status as it is
        help_text=_("Active reads and decides Miinto orders every few minutes; Disabled stops every flow and keeps this configuration."),
    )

    price_threshold = forms.DecimalField(
        label=_("Auto Accept Orders – Price Attribute Threshold"),
        error_messages=thresholds.ERROR_MESSAGES,
        # The reader's decimal separator: 0,97 in Danish; a text input, since a number input refuses the comma.
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=THRESHOLD_HELP,
    )
    sync_from_date = forms.DateField(
        label=_("Sync Orders Created From Date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "placeholder": _("YYYY-MM-DD")}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_ERROR},
        help_text=_("Only orders and RMAs created from this date are synced. Format YYYY-MM-DD, e.g. 2021-03-20."),
    )
    auto_accept = YesNoField(label=_("Accept Orders Automatically"), required=False)
    use_billing_for_shipping = YesNoField(label=_("Use Billing Address For Shipping"), required=False)
    product_identification_attribute = forms.ChoiceField(
        label=_("Product Identification Attribute"),
        widget=DataSelect,
        help_text=_("The store attribute that identifies products on Miinto. By default the id attribute is used."),
    )
    default_shipping_provider_id = forms.ChoiceField(
        label=_("Default Shipping Service – Store Shipment"),
        required=False,
        widget=DataSelect,
        help_text=_("Used when the shipping service of a store shipment does not match Miinto's allowed providers."),
    )

    class Meta:
        model = OrderConfiguration
        fields = [
            "sync_level",
            "auto_accept",
            "price_threshold",
            "reference_price_attribute",
            "default_shipping_provider_id",
            "use_billing_for_shipping",
            "product_identification_attribute",
            "sync_from_date",
        ]
        help_texts = {
            "sync_level": _("Orders & Stock creates each accepted order in the store. Stock only lowers the store's stock instead."),
            "auto_accept": _(
                "Yes: accept a position when it is in stock and its price meets the threshold, otherwise decline it. "
                "No: accept or decline each order by hand, here or in Miinto."
            ),
            "reference_price_attribute": _("The store price the rule uses when no price was exported for the product yet."),
            "use_billing_for_shipping": _("Insert the billing address instead of the shipping address when syncing orders."),
        }

    def __init__(self, *args, attributes: list[tuple[str, str]], providers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order_sync_active"].initial = "1" if self.instance.order_sync_active else "0"
        self.order_fields(["order_sync_active", *self.Meta.fields])
        current = self.instance.product_identification_attribute
        if current and current not in dict(attributes):
            attributes = [*attributes, (current, current)]
        self.fields["product_identification_attribute"].choices = attributes
        provider = self.instance.default_shipping_provider_id
        if provider and provider not in dict(providers):
            providers = [*providers, (provider, self.instance.default_shipping_provider_name or provider)]
        self.fields["default_shipping_provider_id"].choices = [("", _("— none —")), *providers]
        self.provider_names = dict(providers)

    def clean_price_threshold(self):
        value = self.cleaned_data["price_threshold"]
        if error := thresholds.threshold_error(value):
            raise forms.ValidationError(error)
        return thresholds.normalized(value)

    def clean(self):
        data = super().clean()
        provider = data.get("default_shipping_provider_id")
        data["default_shipping_provider_name"] = self.provider_names.get(provider, "") if provider else ""
        return data
