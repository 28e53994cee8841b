"""Pydantic models of the Shopware 5 REST payloads we read (camelCase, as Doctrine's array hydration names them).

Dates come as PHP's ISO-8601 (`2026-05-01T12:00:00+0200`), with the shop server's offset.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _php_date(value: Any) -> Any:
    if isinstance(value, str) and value:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    return value or None


def _decimal(value: Any) -> Any:
    # Shopware sends floats; go through str so 22.5 stays 22.5 rather than a binary fraction.
    return Decimal(str(value)) if isinstance(value, float | int) else value


PhpDate = Annotated[datetime | None, BeforeValidator(_php_date)]
Amount = Annotated[Decimal, BeforeValidator(_decimal)]


class SwModel(BaseModel):
    """A REST object: camelCase on the wire, snake_case here; fields we do not read are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


# --- catalog ---------------------------------------------------------------------------------------
class Price(SwModel):
    customer_group_key: str = "EK"
    price: Amount
    pseudo_price: Amount = Decimal("0")
    # Present only when considerTaxInput grossed the price up; it keeps the stored net price.
    net: Amount | None = None
    from_: int = Field(1, alias="from")


class ArticleRef(SwModel):
    id: int
    name: str = ""
    tax_id: int | None = None


class Variant(SwModel):
    """A row of `GET /api/variants`: one sellable detail with its number, stock and prices, and a thin article."""

    id: int
    article_id: int
    number: str
    ean: str | None = None
    supplier_number: str | None = None
    in_stock: int = 0
    active: bool = True
    prices: list[Price] = []
    article: ArticleRef | None = None


class Option(SwModel):
    id: int
    group_id: int
    name: str


class ArticleDetail(SwModel):
    id: int
    number: str = ""
    configurator_options: list[Option] = []


class Named(SwModel):
    id: int
    name: str = ""


class Tax(SwModel):
    id: int
    tax: Amount


class ConfiguratorSet(SwModel):
    groups: list[Named] = []


class Article(SwModel):
    """`GET /api/articles/{id}`: what the flat variant list lacks (options, brand, categories, tax)."""

    id: int
    name: str
    supplier: Named | None = None
    tax: Tax | None = None
    categories: list[Named] = []
    main_detail: ArticleDetail | None = None
    details: list[ArticleDetail] = []
    configurator_set: ConfiguratorSet | None = None


# --- shop ------------------------------------------------------------------------------------------
class Currency(SwModel):
    currency: str


class Shop(SwModel):
    id: int
    name: str
    currency: Currency | None = None


class CustomerGroup(SwModel):
    key: str
    tax_input: bool = True


# --- orders ----------------------------------------------------------------------------------------
class OrderDetail(SwModel):
    id: int
    article_number: str = ""
    article_name: str = ""
    price: Amount
    quantity: int
    tax_rate: Amount = Decimal("0")


class Dispatch(SwModel):
    id: int
    name: str = ""
    status_link: str = ""


class Order(SwModel):
    """An order from the list (no details) or from `GET /api/orders/{id}` (details and dispatch joined)."""

    id: int
    number: str | None = None
    transaction_id: str = ""
    internal_comment: str = ""
    tracking_code: str = ""
    currency: str = ""
    payment_status_id: int = 0
    order_status_id: int = 0
    changed: PhpDate = None
    order_time: PhpDate = None
    details: list[OrderDetail] = []
    dispatch: Dispatch | None = None


class Created(SwModel):
    """What a POST or PUT answers: `{"id", "location"}`."""

    id: int
    location: str = ""


class BatchResult(SwModel):
    """One entry of a batch PUT's answer, in the order the items were sent."""

    success: bool
    operation: str = ""
    message: str = ""
