"""Shopify connection credentials: the shop domain the merchant names, and what the OAuth install fills in."""

from __future__ import annotations

import re

from django.utils.translation import gettext_noop as N_  # marked for the catalogue; the form translates them
from pydantic import Field, SecretStr, field_validator

from platforms.credentials import StoreCredentials, system_field

# Pinned, and raised yearly: 2026-04 makes @idempotent keys mandatory for refunds and inventory adjustments.
API_VERSION = "2026-04"
# write_x implies read_x; read_all_orders is optional (without it, reads stop at 60 days).
REQUIRED_SCOPES = ("write_orders", "read_products", "write_inventory", "read_locations")
SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]*\.myshopify\.com$")


def normalize_shop_domain(value: str) -> str:
    """`acme`, `acme.myshopify.com` or `https://acme.myshopify.com/` → `acme.myshopify.com`; ValueError otherwise."""
    shop = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if "." not in shop:
        shop = f"{shop}.myshopify.com"
    if not SHOP_DOMAIN.match(shop):
        raise ValueError(f"not a myshopify.com shop domain: {value!r}")
    return shop


class ShopifyCredentials(StoreCredentials):
    """The merchant types the shop domain; the OAuth install adds the offline token and its scopes."""

    install = "oauth"
    identity_field = "shop_domain"
    location_fields = ("base_url",)

    shop_domain: str = Field(title=N_("Shop domain"), description=N_("The shop's myshopify.com domain, e.g. acme.myshopify.com"))
    access_token: SecretStr = system_field(...)
    scopes: tuple[str, ...] = system_field(())
    api_version: str = system_field(API_VERSION)
    # Replaces https://{shop} (e.g. http://127.0.0.1:8766/shopify/acme.myshopify.com for the simulator).
    base_url: str | None = system_field(None)
    # The app's client secret, current first; the previous one stays during a rotation, which takes up to an hour to apply.
    app_client_secrets: tuple[SecretStr, ...] = system_field(())
    # Where stock moves; by default the first location the variant is stocked at.
    location_id: str | None = system_field(None)

    @field_validator("shop_domain")
    @classmethod
    def _shop(cls, value: str) -> str:
        return normalize_shop_domain(value)

    def scope_key(self) -> str:
        return self.shop_domain

    def shop_url(self) -> str:
        return (self.base_url or f"https://{self.shop_domain}").rstrip("/")

    def outbound_urls(self) -> list[str]:
        return [self.shop_url()]

    def graphql_url(self) -> str:
        return f"{self.shop_url()}/admin/api/{self.api_version}/graphql.json"
