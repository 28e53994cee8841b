"""The typed inputs and outputs of the adapter protocol: immutable pydantic values that serialise to JSON for outbox rows.

Money is a Decimal plus an ISO currency; times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return value


def _currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha():
        raise ValueError(f"not an ISO 4217 currency code: {value!r}")
    return value.upper()


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Currency = Annotated[str, AfterValidator(_currency)]


class Value(BaseModel):
    """Base of every protocol value: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Value):
    amount: Decimal
    currency: Currency


class StorePrice(Money):
    """A store price with its tax basis; `derivation` says how it was obtained, e.g. 'net 80.00 × 1.25 (tax class 9)'."""

    tax_included: bool
    derivation: str = ""


class ShopInfo(Value):
    """What `test_connection` learns: the shop's name and currency, its tax basis, and the permissions granted."""

    name: str
    currency: Currency
    prices_include_tax: bool
    scopes: frozenset[str] = frozenset()
    platform_version: str | None = None


class AttributeKind(StrEnum):
    ID = "id"
    SKU = "sku"
    GTIN = "gtin"
    MPN = "mpn"
    CUSTOM = "custom"


class Attribute(Value):
    """One choice for the Product Identification Attribute; `code` is what `get_products` takes back."""

    code: str
    label: str
    kind: AttributeKind


class StoreProduct(Value):
    """One sellable item (a variant, or a product without variants) as the store describes it."""

    product_id: str
    variant_id: str | None = None
    sku: str | None = None
    gtin: str | None = None
    # attribute code -> value, for every identifier attribute this item has a value for
    identifiers: dict[str, str] = Field(default_factory=dict)
    title: str
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    category: str | None = None
    image_urls: tuple[str, ...] = ()
    stock: int | None = None
    # The store could not tell this item's stock this time (its read failed): `stock` means nothing, keep what we knew.
    stock_unknown: bool = False
    final_price: StorePrice | None = None
    original_price: StorePrice | None = None

    def identifier(self, attribute: str) -> str | None:
        return self.identifiers.get(attribute)


class Address(Value):
    first_name: str = ""
    last_name: str = ""
    company: str | None = None
    street: str
    street2: str | None = None
    postcode: str
    city: str
    region: str | None = None
    country_code: str = Field(min_length=2, max_length=2)
    phone: str | None = None

    @field_validator("country_code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class OrderLine(Value):
    """One order line: `identifier` is the value of the draft's identifier attribute; the unit price includes tax."""

    identifier: str
    sku: str | None = None
    title: str = ""
    quantity: int = Field(gt=0)
    unit_price: Decimal
    key: str | None = None
    # The store product as our catalog copy knows it: when given, creating the order asks the store nothing about it.
    product: StoreProduct | None = None


class StoreOrderDraft(Value):
    """An order to create in the store; `key` is our external reference, kept on the store order and looked up first."""

    key: str = Field(min_length=1)
    marketplace: str = "Miinto"
    marketplace_order_id: str | None = None
    identifier_attribute: str = "id"
    currency: Currency
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    billing_address: Address
    shipping_address: Address
    email: str | None = None
    phone: str | None = None
    shipping_method: str = ""
    shipping_price: Decimal = Decimal("0")
    note: str = ""
    placed_at: AwareDatetime | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0")) + self.shipping_price


class StoreOrderRef(Value):
    """A store order: `id` as the store's API takes it, `reference` our external reference (None if not ours)."""

    id: str
    reference: str | None = None
    name: str | None = None


class StockChange(Value):
    """A relative stock change for one SKU; `key` makes it idempotent across retries."""

    key: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    delta: int
    reason: str = ""

    @field_validator("delta")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a stock change of 0 changes nothing")
        return value


class StockOutcome(StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    # The write was sent and its outcome is unknown: never retried blindly, flagged for a human.
    AMBIGUOUS = "ambiguous"
    # Definitely not applied: safe to retry (after `retry_after` when given) unless the error is permanent.
    FAILED = "failed"


class StockResult(Value):
    key: str
    sku: str
    outcome: StockOutcome
    quantity: int | None = None
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None


class Tracking(Value):
    carrier: str | None = None
    number: str
    url: str | None = None


class ShipmentLine(Value):
    sku: str | None = None
    quantity: int = Field(gt=0)
    line_id: str | None = None


class StoreShipment(Value):
    """A shipment made in the store; `whole_order` is set where the platform has no line-level shipments."""

    shipment_id: str
    order: StoreOrderRef
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    additional_tracking: tuple[Tracking, ...] = ()
    lines: tuple[ShipmentLine, ...] = ()
    whole_order: bool = False
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None


class RefundLine(Value):
    """A refunded line: identified by the store's `line_id` or by `sku`; `amount` is the line total incl. tax."""

    sku: str | None = None
    line_id: str | None = None
    quantity: int = Field(gt=0)
    amount: Decimal | None = None


class RefundRequest(Value):
    """A refund to create in the store; `key` makes it idempotent, `restock` returns the items to stock."""

    key: str = Field(min_length=1)
    order: StoreOrderRef
    lines: tuple[RefundLine, ...] = ()
    shipping_amount: Decimal = Decimal("0")
    currency: Currency
    reason: str = ""
    restock: bool = True


class StoreRefund(Value):
    """A refund as the store records it; `origin_key` is our key when we created it (None when made in the store).

    `item_level` is False where the platform records no lines and the adapter inferred them.
    """

    refund_id: str
    order: StoreOrderRef
    lines: tuple[RefundLine, ...] = ()
    shipping_amount: Decimal = Decimal("0")
    total: Money
    created_at: AwareDatetime
    origin_key: str | None = None
    item_level: bool = True
    note: str = ""


class RefundResult(Value):
    """What `create_refund` did: `created` is False when a refund with the request's key already existed.

    `restocked` holds the stock changes of platforms whose refund cannot restock by itself (no REFUND_RESTOCK):
    `create_refund` returns the items through `adjust_stock` afterwards, and an AMBIGUOUS change needs a human,
    as with any stock change. It is empty where the refund call restocks or the request keeps the items.
    """

    refund: StoreRefund
    created: bool
    restocked: tuple[StockResult, ...] = ()


class WebhookKind(StrEnum):
    REFUND_CREATED = "refund_created"
    ORDER_UPDATED = "order_updated"
    SHIPMENT_CHANGED = "shipment_changed"
    APP_UNINSTALLED = "app_uninstalled"
    OTHER = "other"


class WebhookEvent(Value):
    """A verified delivery. `shop` is a routing hint only where the platform does not sign it; dedupe on `dedupe_key`."""

    platform: str
    kind: WebhookKind
    topic: str
    delivery_id: str
    shop: str | None = None
    order_id: str | None = None
    object_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    # Where the delivery id header is not signed (Shopify), an identity read from the signed body instead.
    signed_key: str | None = None

    @property
    def dedupe_key(self) -> str:
        """What makes two deliveries the same: never an unsigned header, which anyone replaying a body may change."""
        return self.signed_key or self.delivery_id
