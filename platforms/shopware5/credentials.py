"""Shopware 5 connection credentials: the API user and key, and the ids raw order creation needs."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop
from pydantic import Field, SecretStr, field_validator

from platforms.credentials import StoreCredentials


class Shopware5Credentials(StoreCredentials):
    """The merchant enables API access for a backend user (Settings › User administration) and picks the ids below."""

    identity_field = "shop_url"

    shop_url: str = Field(
        title=gettext_noop("Shop URL"), description=gettext_noop("The shop's address, e.g. https://shop.example.com (the API is under /api)")
    )
    username: str = Field(title=gettext_noop("API user"), description=gettext_noop("The backend user with API access"))
    api_key: SecretStr = Field(title=gettext_noop("API key"), description=gettext_noop("The user's generated API key"))
    auth_scheme: Literal["digest", "basic"] = Field("digest", title=gettext_noop("Authentication"), description=gettext_noop("Shopware accepts both"))
    shop_id: int = Field(1, title=gettext_noop("Shop ID"), description=gettext_noop("The (sub)shop that marketplace orders belong to"))
    payment_id: int = Field(title=gettext_noop("Payment method ID"), description=gettext_noop("The payment method marketplace orders are booked with"))
    dispatch_id: int = Field(title=gettext_noop("Shipping method ID"), description=gettext_noop("The dispatch (shipping method) of marketplace orders"))
    customer_group: str = Field("EK", title=gettext_noop("Customer group"), description=gettext_noop("Whose prices the catalog shows (EK: shop customers)"))
    order_status_id: int = Field(0, title=gettext_noop("Order status ID"), description=gettext_noop("0: open"))
    payment_status_id: int = Field(12, title=gettext_noop("Payment status ID"), description=gettext_noop("12: completely paid"))

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
