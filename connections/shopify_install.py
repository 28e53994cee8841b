"""The Shopify app install: authorize → callback (hmac, state, shop) → offline token stored encrypted → webhooks registered."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from connections import clients, services
from connections.models import StoreConnection
from koongo.accounts.decorators import write_required
from koongo.http import HttpError

SESSION_STATE = "shopify_install_state"
SESSION_SHOP = "shopify_install_shop"


def shopify_app(request):
    from platforms.shopify.oauth import ShopifyApp

    return ShopifyApp.from_settings(settings, redirect_uri=request.build_absolute_uri(reverse("connections:shopify-callback")))


def shop_base_url(shop: str) -> str | None:
    """The simulator's URL for this shop when SHOPIFY_API_BASE_URL points at it; None for real Shopify."""
    from platforms.shopify.oauth import shop_url

    return shop_url(shop, settings.SHOPIFY_API_BASE_URL) if settings.SHOPIFY_API_BASE_URL else None


class ShopDomainForm(forms.Form):
    shop = forms.CharField(label=_("Shop domain"), help_text=_("Your myshopify.com domain, e.g. acme.myshopify.com"))

    def clean_shop(self):
        from platforms.shopify.credentials import normalize_shop_domain

        try:
            return normalize_shop_domain(self.cleaned_data["shop"])
        except ValueError:
            raise forms.ValidationError(gettext("Enter your shop's myshopify.com domain, e.g. acme.myshopify.com.")) from None


def install_start(*, request, shop: str) -> str:
    """Remember a fresh state in the session and return the authorize URL to send the merchant to."""
    from platforms.shopify import oauth

    state = oauth.new_state()
    request.session[SESSION_STATE] = state
    request.session[SESSION_SHOP] = shop
    return oauth.authorize_url(shopify_app(request), shop, state, base_url=shop_base_url(shop))


def install_complete(*, request, merchant, params) -> StoreConnection:
    """Verify the callback, exchange the code, save the connection and register the webhooks."""
    from platforms.shopify import oauth
    from platforms.shopify.webhooks import register_webhooks

    app = shopify_app(request)
    expected = request.session.pop(SESSION_STATE, "")
    shop = oauth.verify_callback(app, params, expected_state=expected)
    if shop != request.session.pop(SESSION_SHOP, shop):
        raise oauth.InstallRefused("the callback names another shop than the one this install started for", code="bad_shop")
    base_url = shop_base_url(shop)
    grant = oauth.exchange_code(app, shop, params["code"], base_url=base_url, transport=clients.transport_for("shopify"))
    credentials = oauth.install_credentials(app, shop, grant, base_url=base_url)
    with transaction.atomic():
        store = StoreConnection.objects.filter(merchant=merchant, platform="shopify", shop_url=shop, archived_at__isnull=True).first()
        if store is None:
            # A shop installed by another merchant stays theirs: refused here, and by the constraint under a race.
            services.store_identity_check(merchant=merchant, platform="shopify", credentials=credentials)
            store = StoreConnection(merchant=merchant, platform="shopify", name=shop, shop_url=shop)
        store.credentials = services.credentials_for_storage(credentials)
        store.save()
    with clients.store_adapter(store) as adapter:
        register_webhooks(adapter.client, request.build_absolute_uri(reverse("connections:shopify-webhook")))
    return services.store_connection_test(store_connection=store)


@write_required
def start_view(request):
    form = ShopDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect(install_start(request=request, shop=form.cleaned_data["shop"]))
    return render(request, "connections/shopify_install.html", {"form": form})


@write_required
def callback_view(request):
    from platforms.shopify.oauth import InstallRefused

    try:
        store = install_complete(request=request, merchant=request.merchant, params=request.GET.dict())
    except (InstallRefused, ValidationError) as error:
        messages.error(request, gettext("The Shopify install was refused: %(error)s") % {"error": error})
        return redirect("connections:list")
    except HttpError as error:
        messages.error(request, gettext("Shopify could not complete the install: %(error)s") % {"error": error.message})
        return redirect("connections:list")
    messages.success(request, gettext("Shopify store %(name)s installed. %(test)s") % {"name": store.name, "test": store.last_test_message})
    return redirect("connections:store-detail", pk=store.pk)
