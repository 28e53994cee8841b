"""Dashboard views for store connections: add (a form generated from the adapter's credentials model), test, Shopify install."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connections import selectors, services, shopify_install
from connections.views import _apply_errors
from koongo.accounts.decorators import merchant_required, write_required


def platform_choices() -> list[tuple[str, str]]:
    from platforms import registry

    return [(code, adapter.name) for code, adapter in registry.adapters().items()]


def credentials_form_class(platform: str) -> type[forms.Form]:
    """A Django form built from the adapter's credentials model: secrets get password inputs."""
    from platforms import registry

    fields: dict[str, forms.Field] = {"name": forms.CharField(max_length=100, label=_("Connection name"))}
    for field in registry.credentials_model(platform).form_fields():
        widget = forms.PasswordInput if field.secret else forms.TextInput
        fields[field.name] = forms.CharField(
            label=field.label, required=field.required, help_text=field.help, widget=widget, strip=not field.secret
        )
    return type(f"{platform.title()}CredentialsForm", (forms.Form,), fields)


@write_required
def store_add(request):
    from platforms import registry

    platform = request.GET.get("platform") or request.POST.get("platform")
    choices = platform_choices()
    if platform not in dict(choices):
        return render(request, "connections/store_choose.html", {"platforms": choices})
    model = registry.credentials_model(platform)
    if model.install == "oauth":
        return shopify_install.start_view(request)
    form_class = credentials_form_class(platform)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "name" and v not in ("", None)}
        try:
            store = services.store_connection_create(
                merchant=request.merchant, platform=platform, name=form.cleaned_data["name"], credentials=data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            services.store_connection_test(store_connection=store)
            messages.success(request, _("Store connection %(name)s saved. %(test)s") % {"name": store.name, "test": store.last_test_message})
            return redirect("connections:store-detail", pk=store.pk)
    return render(
        request, "connections/store_add.html", {"form": form, "platform": platform, "platform_name": dict(choices)[platform]}
    )


@merchant_required
def store_detail(request, pk):
    from platforms import registry
    from platforms.capabilities import Capability

    store = selectors.store_connection(request.merchant, pk)
    declared = set(store.capabilities)
    capabilities = [(c.value, c.value in declared) for c in Capability]
    adapter = registry.adapter_class(store.platform)
    # The adapters declare their limitations in English (marked with gettext_noop); the page shows them translated.
    limitations = [_(text) for text in getattr(adapter, "limitations", ())]
    context = {"store": store, "capabilities": capabilities, "limitations": limitations}
    return render(request, "connections/store_detail.html", context)


@write_required
@require_POST
def store_test(request, pk):
    store = selectors.store_connection(request.merchant, pk)
    services.store_connection_test(store_connection=store)
    (messages.success if store.last_test_ok else messages.error)(request, store.last_test_message)
    return redirect("connections:store-detail", pk=pk)
