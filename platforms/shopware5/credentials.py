"""Shopware 5 connection credentials: the API user and key, and the ids raw order creation needs."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop as N_  # marked for the catalogue; the form translates them
from pydantic import Field, SecretStr, field_validator

from platforms.credentials import StoreCredentials


class Shopware5Credentials(StoreCredentials):
    """The merchant enables API access for a backend user (Settings › User administration) and picks the ids below."""

    identity_field = "shop_url"

    shop_url: str = Field(
        title=N_("Shop URL"), description=N_("The shop's address, e.g. https://shop.example.com (the API is under /api)")
    )
    username: str = Field(title=N_("API user"), description=N_("The backend user with API access"))
    api_key: SecretStr = Field(title=N_("API key"), description=N_("The user's generated API key"))
    auth_scheme: Literal["digest", "basic"] = Field("digest", title=N_("Authentication"), description=N_("Shopware accepts both"))
    shop_id: int = Field(1, title=N_("Shop ID"), description=N_("The (sub)shop that marketplace orders belong to"))
    payment_id: int = Field(title=N_("Payment method ID"), description=N_("The payment method marketplace orders are booked with"))
    dispatch_id: int = Field(title=N_("Shipping method ID"), description=N_("The dispatch (shipping method) of marketplace orders"))
    customer_group: str = Field("EK", title=N_("Customer group"), description=N_("Whose prices the catalog shows (EK: shop customers)"))
    order_status_id: int = Field(0, title=N_("Order status ID"), description=N_("0: open"))
    payment_status_id: int = Field(12, title=N_("Payment status ID"), description=N_("12: completely paid"))

    @field_validator("shop_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not a shop URL: {value!r}")
        return value.strip().rstrip("/").removesuffix("/api")

    def scope_key(self) -> str:
        parts = urlsplit(self.shop_url)
        return f"{parts.netloc}{parts.path}"

    def outbound_urls(self) -> list[str]:
        return [self.shop_url]
