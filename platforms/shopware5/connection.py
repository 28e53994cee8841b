"""What every part of the Shopware 5 adapter shares: the REST client, the shop's currency and tax basis, the connection test."""

from __future__ import annotations

from datetime import UTC, datetime

from koongo.http import PermanentError, RateLimited, TransientError
from platforms.base import MissingScope, ShopInfo, StoreAdapter
from platforms.shopware5.client import NAME, Shopware5Client, filters
from platforms.shopware5.credentials import Shopware5Credentials
from platforms.shopware5.schemas import CustomerGroup, Shop

# One cheap read per API resource the adapter uses: Shopware's ACL answers a role without a privilege with an error.
PROBES = ("orders", "customers", "variants", "articles", "countries")


class Shopware5Connection(StoreAdapter):
    """The shared part of the Shopware 5 adapter; the catalog, order and refund parts build on it."""

    name = NAME
    credentials_model = Shopware5Credentials
    credentials: Shopware5Credentials

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        creds = self.credentials
        self.client: Shopware5Client = self.own(
            Shopware5Client(
                creds.shop_url, creds.username, creds.api_key.get_secret_value(), creds.auth_scheme, **self.client_options()
            )
        )
        self._shop: Shop | None = None
        self._tax_input: bool | None = None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def test_connection(self) -> ShopInfo:
        """The version (which checks the key), the shop, a read of each resource we use, and the payment method."""
        try:
            version = (self.client.get("version") or {}).get("version")
        except RateLimited:
            raise
        except TransientError as error:
            raise TransientError(f"{NAME} shop {self.scope} is unreachable: {error.message}", status=error.status) from error
        missing: list[str] = []
        for resource in PROBES:
            try:
                self.client.listing(resource, limit=1)
            except MissingScope as error:
                missing += error.missing
        if missing:
            raise MissingScope(NAME, missing)
        try:
            self.client.get(f"paymentMethods/{self.credentials.payment_id}")
        except PermanentError as error:
            if error.status == 404:
                raise PermanentError(f"{NAME} shop {self.scope} has no payment method {self.credentials.payment_id}") from error
            raise
        shop = self.shop()
        return ShopInfo(
            name=shop.name,
            currency=self.currency(),
            prices_include_tax=self.tax_input(),
            scopes=frozenset(f"{resource} (read)" for resource in PROBES),
            platform_version=version,
        )

    def shop(self) -> Shop:
        if self._shop is None:
            self._shop = Shop.model_validate(self.client.get(f"shops/{self.credentials.shop_id}"))
        return self._shop

    def currency(self) -> str:
        shop = self.shop()
        if shop.currency is None:
            raise PermanentError(f"{NAME} shop {self.scope} reports no currency for shop {shop.id}")
        return shop.currency.currency

    def tax_input(self) -> bool:
        """Whether the customer group enters and sees prices with tax (Shopware stores them net either way)."""
        if self._tax_input is None:
            rows = self.client.get("customerGroups", filters(("key", None, self.credentials.customer_group))) or []
            groups = [CustomerGroup.model_validate(row) for row in rows]
            self._tax_input = groups[0].tax_input if groups else True
        return self._tax_input
