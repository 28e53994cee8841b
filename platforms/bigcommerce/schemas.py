"""Pydantic models of the BigCommerce payloads the adapter reads, and the connection's credentials form."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext_noop as N_  # marked for the catalogue; the form translates them
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from platforms.credentials import StoreCredentials, system_field

API_URL = "https://api.bigcommerce.com"


def _rfc2822(value: Any) -> Any:
    """v2 answers dates as RFC 2822 ('Tue, 05 Mar 2019 21:55:50 +0000'); v3 as ISO 8601."""
    if isinstance(value, str) and value and not value[0].isdigit():
        return email.utils.parsedate_to_datetime(value).astimezone(UTC)
    return value


When = Annotated[datetime, BeforeValidator(_rfc2822)]


class BigCommerceCredentials(StoreCredentials):
    """A store-level API account: the store hash and access token, plus the client secret that signs webhooks."""

    identity_field = "store_hash"
    location_fields = ("base_url",)

    store_hash: str = Field(title=N_("Store hash"), description=N_("The code in the API path, e.g. abc123 in /stores/abc123/v3"), min_length=1)
    access_token: SecretStr = Field(title=N_("Access token"), description=N_("The API account's access token (X-Auth-Token)"))
    client_secret: SecretStr | None = Field(None, title=N_("Client secret"), description=N_("The API account's client secret; verifies webhooks"))
    vat_rate: Decimal = Field(
        Decimal("25"), title=N_("VAT rate (%)"), ge=0, le=100,
        description=N_("The VAT included in Miinto prices; splits them into the net and tax amounts BigCommerce orders need"),
    )
    # The inventory location stock moves at; 1 is the default location every store has.
    location_id: int = system_field(1)
    # Replaces https://api.bigcommerce.com (e.g. the simulator's address in the demo).
    base_url: str | None = system_field(None)

    def scope_key(self) -> str:
        return self.store_hash

    def api_url(self) -> str:
        return (self.base_url or API_URL).rstrip("/")

    def outbound_urls(self) -> list[str]:
        return [self.api_url()]


class Payload(BaseModel):
    """Base of the read models: unknown fields are ignored, since BigCommerce adds fields freely."""

    model_config = ConfigDict(extra="ignore")


class Store(Payload):
    name: str
    currency: str
    id: str | None = None


class TaxSettings(Payload):
    tax_entered_with_prices: bool


class OptionValue(Payload):
    option_display_name: str
    label: str


class Variant(Payload):
    id: int
    product_id: int
    sku: str = ""
    upc: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    price: Decimal | None = None
    sale_price: Decimal | None = None
    calculated_price: Decimal | None = None
    inventory_level: int | None = None
    option_values: list[OptionValue] = []
    image_url: str | None = None


class Image(Payload):
    url_standard: str
    is_thumbnail: bool = False


class Product(Payload):
    id: int
    name: str
    price: Decimal
    brand_id: int | None = None
    categories: list[int] = []
    variants: list[Variant] = []
    images: list[Image] = []


class Named(Payload):
    """A brand or category: all the adapter needs is the name by id."""

    id: int
    name: str


class InventoryLocation(Payload):
    location_id: int
    available_to_sell: int


class InventoryIdentity(Payload):
    sku: str | None = None
    variant_id: int | None = None
    product_id: int | None = None


class InventoryItem(Payload):
    identity: InventoryIdentity
    locations: list[InventoryLocation] = []


class Pagination(Payload):
    total: int = 0
    current_page: int = 1
    total_pages: int = 1


class Meta(Payload):
    pagination: Pagination | None = None


class Order(Payload):
    id: int
    date_created: When
    date_modified: When
    status_id: int | None = None
    staff_notes: str | None = ""
    external_order_id: str | None = None
    currency_code: str
    total_inc_tax: Decimal | None = None


class OrderProduct(Payload):
    id: int
    order_id: int
    product_id: int
    variant_id: int | None = None
    order_address_id: int
    sku: str = ""
    name: str = ""
    quantity: int
    quantity_refunded: int = 0
    price_inc_tax: Decimal


class ShipmentItem(Payload):
    order_product_id: int
    product_id: int | None = None
    quantity: int


class Shipment(Payload):
    id: int
    order_id: int
    date_created: When
    tracking_number: str = ""
    shipping_provider: str | None = ""
    shipping_provider_display_name: str | None = ""
    tracking_carrier: str | None = ""
    tracking_link: str | None = ""
    generated_tracking_link: str | None = ""
    items: list[ShipmentItem] = []


class PaymentOption(Payload):
    provider_id: str
    provider_description: str = ""
    amount: Decimal
    offline: bool


class RefundQuote(Payload):
    order_id: int | None = None
    total_refund_amount: Decimal
    total_refund_tax_amount: Decimal = Decimal("0")
    rounding: Decimal = Decimal("0")
    adjustment: Decimal = Decimal("0")
    tax_inclusive: bool = True
    refund_methods: list[list[PaymentOption]] = []


class RefundItem(Payload):
    item_type: str
    item_id: int
    reason: str | None = ""
    quantity: int | None = None
    requested_amount: Decimal | None = None


class RefundPayment(Payload):
    id: int | None = None
    provider_id: str
    amount: Decimal
    offline: bool


class Refund(Payload):
    id: int
    order_id: int
    created: datetime
    reason: str | None = ""
    total_amount: Decimal
    total_tax: Decimal = Decimal("0")
    items: list[RefundItem] = []
    payments: list[RefundPayment] = []


class HookRefund(Payload):
    refund_id: int


class HookData(Payload):
    type: str = ""
    id: int | None = None
    order_id: int | None = Field(None, alias="orderId")
    refund: HookRefund | None = None


class HookPayload(Payload):
    """A webhook body: thin by design, so the adapter fetches the object it names."""

    scope: str
    store_id: str | None = None
    producer: str = ""
    data: HookData
    hash: str | None = None
    created_at: int | None = None
