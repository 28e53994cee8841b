"""Pydantic models of the Magento 2 REST payloads the adapter reads, and the integration's credentials form."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop as N_  # marked for the catalogue; the form translates them
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

from platforms.credentials import StoreCredentials

T = TypeVar("T")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def _utc(value: Any) -> Any:
    """Magento answers times as 'YYYY-MM-DD HH:MM:SS' in UTC, without a zone."""
    if isinstance(value, str) and value and "T" not in value:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    return value


When = Annotated[datetime, BeforeValidator(_utc)]


class Magento2Credentials(StoreCredentials):
    """The four values of a Magento integration, where to reach the store, and what REST cannot tell us."""

    identity_field = "base_url"

    base_url: str = Field(title=N_("Store URL"), description=N_("The store's base URL, e.g. https://shop.example.com"))
    store_code: str = Field("default", title=N_("Store view code"), description=N_("The store view whose prices and currency apply"))
    consumer_key: str = Field(title=N_("Consumer key"), min_length=1)
    consumer_secret: SecretStr = Field(title=N_("Consumer secret"))
    access_token: SecretStr = Field(title=N_("Access token"))
    access_token_secret: SecretStr = Field(title=N_("Access token secret"))
    bearer: bool = Field(
        False, title=N_("Use the access token as a bearer token"),
        description=N_("Only when the store enables 'Allow OAuth Access Tokens to be used as standalone Bearer tokens'"),
    )
    catalog_prices_include_tax: bool = Field(
        False, title=N_("Catalog prices include tax"),
        description=N_("As set in Stores › Configuration › Sales › Tax › Calculation Settings; Magento's REST API does not expose it"),
    )
    vat_rate: Decimal = Field(Decimal("25"), ge=0, le=100, title=N_("VAT rate (%)"),
                              description=N_("Splits Miinto's prices into net and tax on store orders, and adds tax to net catalog prices"))
    source_code: str = Field("default", title=N_("Inventory source code"), description=N_("The MSI source that stock writes go to"))
    stock_id: int = Field(1, title=N_("Stock ID"), description=N_("The MSI stock whose salable quantity is reported"))
    payment_method: str = Field("checkmo", title=N_("Payment method code"), description=N_("An enabled offline method for marketplace orders"))
    shipping_method: str = Field("flatrate_flatrate", title=N_("Shipping method code"), description=N_("The carrier_method recorded on orders"))

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("the store URL must start with https:// (or http:// for a local store)")
        return value.rstrip("/")

    def scope_key(self) -> str:
        return f"{urlsplit(self.base_url).netloc}/{self.store_code}"

    def outbound_urls(self) -> list[str]:
        return [self.base_url]

    def rest_url(self) -> str:
        return f"{self.base_url}/rest/{self.store_code}"


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SearchResult(Payload, Generic[T]):
    items: list[T] = []
    total_count: int = 0


class StoreConfig(Payload):
    id: int
    code: str
    base_currency_code: str
    base_media_url: str = ""


class StoreView(Payload):
    id: int
    code: str
    name: str


class CustomAttribute(Payload):
    attribute_code: str
    value: Any = None


class CategoryLink(Payload):
    category_id: str


class ProductExtension(Payload):
    category_links: list[CategoryLink] = []


class MediaEntry(Payload):
    file: str
    position: int = 0
    disabled: bool = False


class Product(Payload):
    id: int
    sku: str
    name: str = ""
    price: Decimal | None = None
    type_id: str = "simple"
    custom_attributes: list[CustomAttribute] = []
    extension_attributes: ProductExtension = ProductExtension()
    media_gallery_entries: list[MediaEntry] | None = []

    def attribute(self, code: str) -> Any:
        return next((a.value for a in self.custom_attributes if a.attribute_code == code), None)


class ProductAttribute(Payload):
    attribute_code: str
    frontend_input: str | None = None
    is_user_defined: bool = False
    default_frontend_label: str | None = None


class AttributeOption(Payload):
    label: str
    value: str


class Category(Payload):
    id: int
    name: str


class SourceItem(Payload):
    sku: str
    source_code: str
    quantity: Decimal
    status: int


class StatusHistory(Payload):
    comment: str | None = ""


class OrderItem(Payload):
    item_id: int
    sku: str
    product_type: str = "simple"
    parent_item_id: int | None = None
    qty_ordered: Decimal
    qty_invoiced: Decimal = Decimal("0")
    qty_refunded: Decimal = Decimal("0")
    price_incl_tax: Decimal | None = None


class Order(Payload):
    entity_id: int
    increment_id: str | None = None
    ext_order_id: str | None = None
    state: str | None = None
    status: str | None = None
    order_currency_code: str
    total_invoiced: Decimal | None = None
    created_at: When | None = None
    items: list[OrderItem] = []
    status_histories: list[StatusHistory] = []


class ShipmentItem(Payload):
    order_item_id: int
    sku: str | None = None
    qty: Decimal


class Track(Payload):
    track_number: str
    carrier_code: str | None = None
    title: str | None = None


class Shipment(Payload):
    entity_id: int
    order_id: int
    created_at: When
    updated_at: When | None = None
    items: list[ShipmentItem] = []
    tracks: list[Track] = []


class CreditmemoItem(Payload):
    order_item_id: int
    sku: str | None = None
    qty: Decimal
    row_total_incl_tax: Decimal | None = None


class Creditmemo(Payload):
    entity_id: int
    order_id: int
    created_at: When
    grand_total: Decimal
    order_currency_code: str
    shipping_incl_tax: Decimal | None = None
    shipping_amount: Decimal | None = None
    items: list[CreditmemoItem] = []


class Comment(Payload):
    comment: str | None = ""
