"""What every part of the PrestaShop adapter shares: the webservice client, the shop's settings, and the connection test."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from koongo.http import PermanentError, RateLimited, TransientError
from platforms.base import MissingScope, ShopInfo, StoreAdapter
from platforms.prestashop.client import NAME, PrestaShopClient, any_of
from platforms.prestashop.credentials import PrestaShopCredentials
from platforms.prestashop.schemas import Configuration, Country, Currency

METHODS = ("GET", "POST", "PUT")
# The key's permissions the adapter needs, as the webservice key form names them.
REQUIRED = {
    "GET": (
        "addresses",
        "carriers",
        "categories",
        "combinations",
        "configurations",
        "countries",
        "currencies",
        "customer_messages",
        "customer_threads",
        "customers",
        "order_carriers",
        "order_histories",
        "order_slip",
        "order_states",
        "orders",
        "product_option_values",
        "product_options",
        "products",
        "stock_availables",
        "tax_rules",
        "taxes",
    ),
    "POST": (
        "addresses",
        "carts",
        "customer_messages",
        "customer_threads",
        "customers",
        "order_histories",
        "order_slip",
        "orders",
        "specific_prices",
    ),
    "PUT": ("stock_availables",),
}
SETTINGS = (
    "PS_CURRENCY_DEFAULT",
    "PS_LANG_DEFAULT",
    "PS_TIMEZONE",
    "PS_CARRIER_DEFAULT",
    "PS_OS_REFUND",
    "PS_OS_ERROR",
    "PS_OS_WS_PAYMENT",
)


@dataclass
class ShopConstants:
    """What rarely changes in a shop and every order needs: its settings, currency and country ids."""

    settings: Settings | None = None
    currencies: dict[str, Currency] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    expires: float = 0.0


# Per worker process, per shop and key: an order push builds a new adapter, and re-reading these three on every order
# was a third of its calls. Ten minutes is how long a changed default carrier or language can take to apply.
CONSTANTS_TTL = 600.0
_constants: dict[str, ShopConstants] = {}


def forget_shop_constants() -> None:
    """Drop every cached shop's constants (tests that reset a simulator behind the same URL)."""
    _constants.clear()


@dataclass(frozen=True)
class Settings:
    """The shop configuration values the adapter needs; dates in the webservice are in `zone`, without an offset."""

    currency_id: int
    lang_id: int
    zone: tzinfo
    carrier_id: int
    refund_state_id: int
    error_state_id: int = 8  # "Payment error"
    paid_state_id: int = 11  # "Remote payment accepted", the state webservice orders are booked in


class PrestaShopConnection(StoreAdapter):
    """The shared part of the PrestaShop adapter; the catalog, order and refund parts build on it."""

    name = NAME
    credentials_model = PrestaShopCredentials
    credentials: PrestaShopCredentials

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        key = self.credentials.api_key.get_secret_value()
        self.client: PrestaShopClient = self.own(PrestaShopClient(self.credentials.shop_url, key, **self.client_options()))
        self._currencies: dict[int, Currency] = {}
        digest = hashlib.sha256(f"{self.credentials.shop_url}\0{key}".encode()).hexdigest()
        known = _constants.get(digest)
        if known is None or known.expires < time.monotonic():
            known = _constants[digest] = ShopConstants(expires=time.monotonic() + CONSTANTS_TTL)
        self._constants = known

    def now(self) -> datetime:
        return datetime.now(UTC)

    def test_connection(self) -> ShopInfo:
        """The shop name and the key's permissions come from `GET /api/` (XML); every missing permission is named."""
        try:
            root = self.client.api_root()
        except RateLimited:
            raise
        except TransientError as error:
            raise TransientError(f"{NAME} shop {self.scope} is unreachable: {error.message}", status=error.status) from error
        api = root if root.tag == "api" else root.find("api")
        if api is None:
            raise PermanentError(f"{NAME}: {self.credentials.shop_url}/api/ did not answer as a PrestaShop webservice")
        granted = {element.tag: {m for m in METHODS if element.get(m.lower()) == "true"} for element in api}
        missing = [
            f"{resource} ({method})"
            for method, resources in REQUIRED.items()
            for resource in resources
            if method not in granted.get(resource, set())
        ]
        if missing:
            raise MissingScope(NAME, missing)
        settings = self.settings()
        return ShopInfo(
            name=api.get("shopName") or self.scope,
            currency=self.currency(settings.currency_id).iso_code,
            prices_include_tax=False,  # PrestaShop stores net prices and adds tax by the customer's country
            scopes=frozenset(f"{resource} ({method})" for resource, methods in granted.items() for method in methods),
            platform_version=self.client.version,
        )

    def settings(self) -> Settings:
        if self._constants.settings is None:
            rows = self.client.list("configurations", {"filter[name]": any_of(SETTINGS)}, display="[name,value]")
            values: dict[str, str | None] = {}
            for row in map(Configuration.model_validate, rows):
                values.setdefault(row.name, row.value)  # the shop-wide row comes first
            try:
                zone: tzinfo = ZoneInfo(values.get("PS_TIMEZONE") or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                zone = UTC
            self._constants.settings = Settings(
                currency_id=int(values.get("PS_CURRENCY_DEFAULT") or 1),
                lang_id=int(values.get("PS_LANG_DEFAULT") or 1),
                zone=zone,
                carrier_id=int(values.get("PS_CARRIER_DEFAULT") or 0),
                refund_state_id=int(values.get("PS_OS_REFUND") or 7),
                error_state_id=int(values.get("PS_OS_ERROR") or 8),
                paid_state_id=int(values.get("PS_OS_WS_PAYMENT") or 11),
            )
        return self._constants.settings

    def currency(self, currency_id: int) -> Currency:
        if currency_id not in self._currencies:
            self._currencies[currency_id] = Currency.model_validate(self.client.get(f"currencies/{currency_id}")["currency"])
        return self._currencies[currency_id]

    def currency_by_iso(self, iso: str) -> Currency:
        if iso not in self._constants.currencies:
            rows = self.client.list("currencies", {"filter[iso_code]": any_of([iso])}, display="[id,iso_code,conversion_rate]")
            if not rows:
                raise PermanentError(f"{NAME} shop {self.scope} has no currency {iso}")
            self._constants.currencies[iso] = Currency.model_validate(rows[0])
        return self._constants.currencies[iso]

    def country_id(self, iso: str) -> int:
        if iso not in self._constants.countries:
            rows = self.client.list("countries", {"filter[iso_code]": any_of([iso])}, display="[id,iso_code]")
            if not rows:
                raise PermanentError(f"{NAME} shop {self.scope} has no country {iso}")
            self._constants.countries[iso] = Country.model_validate(rows[0]).id
        return self._constants.countries[iso]
