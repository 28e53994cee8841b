"""Pydantic models of every Miinto payload; the one place where minor-unit prices become `Decimal` plus currency.

Unknown fields are ignored. List pages validate record by record, so one malformed record becomes a reject
instead of sinking the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

# Decimal places of each currency Miinto trades in; Miinto sends integer minor units.
CURRENCY_EXPONENTS = {"DKK": 2, "SEK": 2, "NOK": 2, "EUR": 2, "PLN": 2, "CHF": 2, "GBP": 2, "CNY": 2}


# --- money ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount in a currency, VAT included as Miinto quotes it."""

    amount: Decimal
    currency: str

    @property
    def minor_units(self) -> int:
        return to_minor_units(self.amount, self.currency)


def _exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def from_minor_units(minor: object, currency: str) -> Money:
    """Miinto's integer minor units as Money: 49900 DKK is 499.00 DKK."""
    if isinstance(minor, bool):
        raise ValueError("a price must be an integer number of minor units")
    if isinstance(minor, str) and minor.strip().lstrip("-").isdigit():
        minor = int(minor)
    if isinstance(minor, float) and minor.is_integer():
        minor = int(minor)
    if not isinstance(minor, int):
        raise ValueError(f"a price must be an integer number of minor units, not {minor!r}")
    return Money(Decimal(minor).scaleb(-_exponent(currency)), currency)


def to_minor_units(amount: Decimal | int | str, currency: str) -> int:
    """An amount as Miinto's integer minor units, rounding half up to the currency's precision (feeds, stock)."""
    scaled = Decimal(str(amount)).scaleb(_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- base ----------------------------------------------------------------------------------------


class MiintoModel(BaseModel):
    """Snake-case fields over Miinto's camelCase keys; unknown keys are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def wire(self) -> dict:
        """The camelCase JSON form Miinto expects, without unset optional lists."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class Priced(MiintoModel):
    """A record with a `price` in minor units; its currency comes from the record itself or the validation context."""

    price: Money

    @model_validator(mode="before")
    @classmethod
    def _price_from_minor_units(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "price" in data and not isinstance(data["price"], Money):
            currency = data.get("currency") or (info.context or {}).get("currency")
            if not currency:
                raise ValueError("a price needs a currency")
            data = {**data, "price": from_minor_units(data["price"], currency)}
        return data


# --- envelope and pages --------------------------------------------------------------------------


class Meta(MiintoModel):
    status: str | None = None
    message: str | None = None
    code: str | None = None
    version: str | None = None
    total_item_count: int | None = None


class Envelope(MiintoModel):
    """Every Miinto answer: `{meta, data}`."""

    meta: Meta = Meta()
    data: Any = None


T = TypeVar("T", bound=BaseModel)


@dataclass
class Reject:
    """A record that failed validation, kept raw so the caller can quarantine it."""

    raw: Any
    error: str


@dataclass
class Page(Generic[T]):
    """One page of a list: the valid records, the rejects, and Miinto's total count when it sent one."""

    items: list[T]
    rejects: list[Reject] = field(default_factory=list)
    total: int | None = None

    @property
    def size(self) -> int:
        """How many records Miinto sent, valid or not; paging advances by this."""
        return len(self.items) + len(self.rejects)


def parse_page(model: type[T], records: Any, *, total: int | None = None, context: Mapping | None = None) -> Page[T]:
    """Validate each record alone; a malformed one becomes a `Reject`."""
    if not isinstance(records, list):
        raise ValueError(f"expected a list of records, got {type(records).__name__}")
    page: Page[T] = Page(items=[], total=total)
    for raw in records:
        try:
            page.items.append(model.model_validate(raw, context=context))
        except ValidationError as error:
            page.rejects.append(Reject(raw=raw, error=str(error)))
    return page


# --- channels and shops --------------------------------------------------------------------------


class ChannelLogin(MiintoModel):
    """Body of `POST /channels`."""

    identifier: str
    secret: str = Field(repr=False)


class Channel(MiintoModel):
    """A channel (session); `token` is present only in the login answer."""

    id: str
    token: str | None = Field(default=None, repr=False)
    accessor_id: int | None = None
    privileges: dict[str, Any] = {}

    @field_validator("privileges", mode="before")
    @classmethod
    def _empty_list_is_no_privileges(cls, value: Any) -> Any:
        # PHP serialises an empty map as [] (SHW's fixture shows exactly that).
        return {} if value in (None, []) else value


def privileged_shops(privileges: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Shop ids from login `privileges`, with the market code a per-market key names (§3, §11).

    Reads the keys of `__GLOBAL__.Store`, falling back to each per-market key's `ShopAdmin` keys.
    """
    hints: dict[str, str | None] = {}
    for key, value in privileges.items():
        if key == "__GLOBAL__" or not isinstance(value, Mapping):
            continue
        market = key.split("-", 1)[1].upper() if "-" in key else None
        admin = value.get("ShopAdmin")
        for shop_id in admin if isinstance(admin, Mapping) else ():
            hints.setdefault(shop_id, market)
    global_scope = privileges.get("__GLOBAL__")
    store = global_scope.get("Store") if isinstance(global_scope, Mapping) else None
    shop_ids = list(store) if isinstance(store, Mapping) and store else list(hints)
    return [(shop_id, hints.get(shop_id)) for shop_id in shop_ids]


class Shop(MiintoModel):
    id: str
    name: str


@dataclass(frozen=True)
class ShopLocation:
    """A shop the account may manage, with its market; what "Get Available Stores" shows."""

    id: str
    name: str | None
    market: str | None
    market_name: str | None
    currency: str | None


# --- transfers -----------------------------------------------------------------------------------


class Item(MiintoModel):
    gtin: str | None = None
    name: str | None = None
    brand: str | None = None
    product_id: str | None = None

    @field_validator("gtin", "product_id", mode="before")
    @classmethod
    def _numbers_are_identifiers(cls, value: Any) -> Any:
        # A GTIN sent as a JSON number would lose its leading zeros as an int; keep it as text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class PendingPosition(Priced):
    """A position offered in a transfer; `price` is the unit price the merchant must honour."""

    id: int
    quantity: int
    item: Item = Item()


class Transfer(MiintoModel):
    """A transfer as listed: the positions still waiting for a decision."""

    id: int
    created_at: datetime | None = None
    status: str | None = None
    pending_positions: list[PendingPosition] = []


class OrderRef(MiintoModel):
    id: int


class TransferPosition(PendingPosition):
    status: Literal["pending", "accepted", "declined"]


class TransferDetail(MiintoModel):
    """`GET /transfers/{id}` (§11): every position with its status, and the order made from the accepted ones."""

    id: int
    created_at: datetime | None = None
    status: Literal["pending", "decided"]
    positions: list[TransferPosition] = []
    new_order: OrderRef | None = None


class PositionRef(MiintoModel):
    id: int


class TransferDecision(MiintoModel):
    """Body of `PATCH /transfers/{id}`; a list left out is not sent."""

    accepted_positions: list[PositionRef] | None = None
    declined_positions: list[PositionRef] | None = None


class TransferDecisionResult(MiintoModel):
    new_order: OrderRef | None = None


# --- orders and shipping -------------------------------------------------------------------------


class Address(MiintoModel):
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_code: str | None = None


class Person(MiintoModel):
    """Miinto sends a person's name as one string; stores want first and last name."""

    name: str = ""

    @property
    def first_name(self) -> str:
        return self.name.strip().split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        parts = self.name.strip().split(" ", 1)
        return parts[1].strip() if len(parts) == 2 else ""


class BillingInformation(Person):
    email: str | None = None
    phone: str | None = None
    address: Address = Address()


DeliveryType = Literal["HomeDelivery", "CompanyDelivery", "ParcelShopDelivery"]


class DeliveryAddress(Person):
    type: DeliveryType | None = None
    address: Address = Address()


class ProviderChoice(MiintoModel):
    provider_id: str | None = None


class DeliveryOptions(MiintoModel):
    initial: ProviderChoice | None = None
    override: ProviderChoice | None = None

    @property
    def provider_id(self) -> str | None:
        """The provider to ship with: Miinto's override wins over the customer's initial choice."""
        for choice in (self.override, self.initial):
            if choice and choice.provider_id:
                return choice.provider_id
        return None


class ShippingInformation(MiintoModel):
    delivery_address: DeliveryAddress | None = None
    delivery_options: DeliveryOptions = DeliveryOptions()


class ParentOrder(MiintoModel):
    """The customer-facing order; its id is the number the customer sees."""

    id: int
    created_at: datetime | None = None


class OrderPosition(Priced):
    id: int
    quantity: int
    item: Item = Item()
    status: str | None = None


class Order(MiintoModel):
    """A merchant-level order; positions carry the transfer's position ids (§11)."""

    id: int
    status: str | None = None
    currency: str
    parent_order: ParentOrder | None = None
    accepted_positions: list[OrderPosition] = []
    billing_information: BillingInformation = BillingInformation()
    shipping_information: ShippingInformation = ShippingInformation()

    @model_validator(mode="before")
    @classmethod
    def _positions_share_the_order_currency(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("acceptedPositions"), list) and data.get("currency"):
            positions = [{"currency": data["currency"], **p} if isinstance(p, dict) else p for p in data["acceptedPositions"]]
            data = {**data, "acceptedPositions": positions}
        return data


class ShippingProvider(MiintoModel):
    id: str
    name: str | None = None


class ShipmentRequest(MiintoModel):
    """Body of `POST /orders/{id}/shipments` (§11); no positions means all of them."""

    shipping_provider_id: str
    track_and_trace: str
    positions: list[PositionRef] | None = None


class Shipment(MiintoModel):
    id: int
    status: str


# --- returns -------------------------------------------------------------------------------------


class ReturnPosition(Priced):
    id: int
    order_position_id: int
    quantity: int
    currency: str
    reason: str | None = None


class Return(MiintoModel):
    """An RMA (§11): customer returns start pending, merchant RMA requests start accepted."""

    id: int
    order_id: int
    status: Literal["pending", "accepted", "declined"]
    origin: Literal["customer", "merchant"]
    created_at: datetime | None = None
    reason: str | None = None
    customer_comment: str | None = None
    decision_reason: str | None = None
    positions: list[ReturnPosition] = []


class ReturnDecision(MiintoModel):
    status: Literal["accepted", "declined"]
    reason: str | None = None


class RmaRequestPosition(MiintoModel):
    order_position_id: int
    quantity: int = Field(gt=0)


class RmaRequest(MiintoModel):
    """Body of `POST /returns`: the merchant asks Miinto to refund these order positions."""

    order_id: int
    positions: list[RmaRequestPosition]
    reason: str | None = None


# --- stock and product map -----------------------------------------------------------------------


class StockKey(MiintoModel):
    """How the stock API names an item: the feed's uniqueness key, not a GTIN (§6)."""

    group: str
    brand: str
    color: str
    size: str


class StockItem(MiintoModel):
    """One item of a stock PATCH, in the field order Miinto's clients send."""

    stock: int = Field(ge=0)
    group: str
    brand: str
    color: str
    size: str

    @property
    def key(self) -> StockKey:
        return StockKey(group=self.group, brand=self.brand, color=self.color, size=self.size)


class StockPushResult(MiintoModel):
    updated: int = 0
    unknown: list[StockKey] = []

    @classmethod
    def combined(cls, results: Iterable[StockPushResult]) -> StockPushResult:
        """The sum of several batch answers."""
        results = list(results)
        return cls(updated=sum(r.updated for r in results), unknown=[key for r in results for key in r.unknown])


class ProductMapRow(MiintoModel):
    """One Product Centre mapping, sent as a 4-tuple `[group or style id, feed id, gtin, Miinto item id]`."""

    style_id: str
    feed_id: str
    gtin: str | None = None
    miinto_item_id: str

    @model_validator(mode="before")
    @classmethod
    def _from_tuple(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            if len(data) != 4:
                raise ValueError(f"a product map row has 4 values, not {len(data)}")
            data = dict(zip(("style_id", "feed_id", "gtin", "miinto_item_id"), data, strict=True))
            data = {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in data.items()}
        return data
