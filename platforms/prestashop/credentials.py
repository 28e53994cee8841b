"""PrestaShop connection credentials: the shop URL, the webservice key and the few choices orders need."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop as N_  # marked for the catalogue; the form translates them
from pydantic import Field, SecretStr, field_validator

from platforms.credentials import StoreCredentials

KEY = re.compile(r"^[A-Za-z0-9]{32}$")


class PrestaShopCredentials(StoreCredentials):
    """The merchant creates a webservice key (Advanced Parameters › Webservice) and picks a payment module for Miinto."""

    identity_field = "shop_url"

    shop_url: str = Field(
        title=N_("Shop URL"), description=N_("The shop's address, e.g. https://shop.example.com (the API is under /api)")
    )
    api_key: SecretStr = Field(title=N_("Webservice key"), description=N_("The 32-character key; it is sent as the Basic-auth user name"))
    payment_module: str = Field(
        title=N_("Payment module"),
        description=N_(
            "Technical name of an installed payment module kept for marketplace orders, e.g. a copy of ps_wirepayment "
            "named 'miinto'; PrestaShop books every order through one"
        ),
    )
    carrier_id: int | None = Field(
        None, title=N_("Carrier ID"), description=N_("Carrier of marketplace orders; empty for the shop's default")
    )
    refund_state_id: int | None = Field(None, title=N_("Refunded state ID"), description=N_("Empty for the shop's own 'Refunded' state"))
    partial_refund_state_id: int | None = Field(
        None, title=N_("Partly refunded state ID"), description=N_("State set after a partial refund; empty leaves the state unchanged")
    )

    @field_validator("shop_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not a shop URL: {value!r}")
        return value.strip().rstrip("/").removesuffix("/api")

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        if not KEY.match(value.get_secret_value()):
            raise ValueError("a PrestaShop webservice key is 32 letters and digits")
        return value

    def scope_key(self) -> str:
        parts = urlsplit(self.shop_url)
        return f"{parts.netloc}{parts.path}"

    def outbound_urls(self) -> list[str]:
        return [self.shop_url]
