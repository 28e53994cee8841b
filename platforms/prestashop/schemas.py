"""Pydantic models of the PrestaShop webservice's JSON output (`output_format=JSON`), plus the marker we keep in addresses.

The webservice writes ids as numbers and everything else as strings; an empty list comes back as `[]`
instead of `{"products": []}`, and a multilingual field is a plain string in a one-language shop but a list of
`{"id", "value"}` otherwise. The models absorb all three.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from platforms.markers import encode

NO_DATE = "0000-00-00 00:00:00"


def _first_language(value: Any) -> Any:
    """A multilingual value as one string: the first language's (the shop's install language) when several are sent."""
    if isinstance(value, list):
        return str(value[0].get("value", "")) if value else ""
    return value


def _blank_as_zero(value: Any) -> Any:
    return "0" if value in ("", None) else value


Text = Annotated[str, BeforeValidator(_first_language)]
Number = Annotated[Decimal, BeforeValidator(_blank_as_zero)]
Id = Annotated[int, BeforeValidator(_blank_as_zero)]


class PsModel(BaseModel):
    """A webservice object: fields we do not read are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Ref(PsModel):
    """An association entry that only names an id."""

    id: Id


def listing(payload: Any, resource: str) -> list[dict]:
    """The objects of a list answer; PrestaShop answers an empty list as `[]`, not `{resource: []}`."""
    if isinstance(payload, dict):
        return payload.get(resource) or []
    return []


# --- catalog ---------------------------------------------------------------------------------------
class ProductAssociations(PsModel):
    categories: list[Ref] = []
    images: list[Ref] = []
    combinations: list[Ref] = []
    stock_availables: list[Ref] = []


class Product(PsModel):
    id: int
    name: Text = ""
    reference: str = ""
    ean13: str = ""
    upc: str = ""
    isbn: str = ""
    mpn: str = ""
    manufacturer_name: str = ""
    id_category_default: Id = 0
    id_tax_rules_group: Id = 0
    id_default_image: Id = 0
    active: str = "1"
    # Price aliases we ask for (price[final_price]..., price[original_price]...): PrestaShop's own tax-included prices.
    final_price: Number | None = None
    original_price: Number | None = None
    associations: ProductAssociations = ProductAssociations()


class CombinationAssociations(PsModel):
    product_option_values: list[Ref] = []
    images: list[Ref] = []


class Combination(PsModel):
    id: int
    id_product: Id
    reference: str = ""
    ean13: str = ""
    upc: str = ""
    isbn: str = ""
    mpn: str = ""
    final_price: Number | None = None
    original_price: Number | None = None
    associations: CombinationAssociations = CombinationAssociations()


class OptionValue(PsModel):
    id: int
    id_attribute_group: Id
    name: Text = ""


class Option(PsModel):
    id: int
    name: Text = ""


class Category(PsModel):
    id: int
    name: Text = ""


class StockAvailable(PsModel):
    """All fields, because a PUT must send them all: PrestaShop nulls every optional field a PUT leaves out."""

    id: int
    id_product: Id
    id_product_attribute: Id
    id_shop: Id = 0
    id_shop_group: Id = 0
    quantity: int
    depends_on_stock: str = "0"
    out_of_stock: str = "2"
    location: str = ""


# --- shop set-up -----------------------------------------------------------------------------------
class Configuration(PsModel):
    name: str
    value: str | None = None


class Currency(PsModel):
    id: int
    iso_code: str
    conversion_rate: Number = Decimal("1")


class Country(PsModel):
    id: int
    iso_code: str


class TaxRule(PsModel):
    id: int
    id_tax_rules_group: Id
    id_country: Id
    id_state: Id = 0
    id_tax: Id


class Tax(PsModel):
    id: int
    rate: Number


class OrderState(PsModel):
    id: int
    shipped: str = "0"
    name: Text = ""


class Carrier(PsModel):
    id: int
    name: str = ""
    url: str = ""


# --- orders ----------------------------------------------------------------------------------------
class Customer(PsModel):
    id: int
    email: str = ""
    secure_key: str = ""


class CustomerAddress(PsModel):
    id: int
    id_customer: Id = 0
    other: str = ""


class OrderRow(PsModel):
    """One `order_rows` association entry; its id is the order_detail id that slips refer to."""

    id: int
    product_id: Id
    product_attribute_id: Id = 0
    product_quantity: int
    product_reference: str = ""
    product_name: str = ""
    unit_price_tax_incl: Number
    unit_price_tax_excl: Number


class OrderAssociations(PsModel):
    order_rows: list[OrderRow] = []


class Order(PsModel):
    """An order; every field has a default because listings ask only for the few they need (`display=[...]`)."""

    id: int
    reference: str = ""
    id_customer: Id = 0
    id_address_delivery: Id = 0
    id_cart: Id = 0
    id_currency: Id = 0
    id_lang: Id = 1
    id_shop: Id = 1
    id_carrier: Id = 0
    current_state: Id = 0
    total_paid: Number = Decimal("0")
    conversion_rate: Number = Decimal("1")
    carrier_tax_rate: Number = Decimal("0")
    date_add: str = NO_DATE
    date_upd: str = NO_DATE
    associations: OrderAssociations = OrderAssociations()


class CartRow(PsModel):
    id_product: Id
    id_product_attribute: Id = 0
    quantity: int


class CartAssociations(PsModel):
    cart_rows: list[CartRow] = []


class Cart(PsModel):
    """A cart an earlier attempt of ours wrote; read back only to resume that attempt."""

    id: int
    id_customer: Id = 0
    id_currency: Id = 0
    id_address_delivery: Id = 0
    id_address_invoice: Id = 0
    associations: CartAssociations = CartAssociations()

    def holds(self, rows: set[tuple[int, int, int]]) -> bool:
        """Whether the cart holds exactly these (product, combination, quantity) rows."""
        return {(r.id_product, r.id_product_attribute, r.quantity) for r in self.associations.cart_rows} == rows


class SpecificPrice(PsModel):
    id: int
    id_product: Id = 0
    id_product_attribute: Id = 0


class OrderHistory(PsModel):
    id: int
    id_order: Id
    id_order_state: Id
    date_add: str = NO_DATE


class OrderCarrier(PsModel):
    """The tracking number lives here; there is no date_upd, so changes are found through the order's date_upd."""

    id: int
    id_order: Id
    id_carrier: Id
    tracking_number: str = ""
    date_add: str = NO_DATE


class SlipDetail(PsModel):
    id: Id = 0
    id_order_detail: Id
    product_quantity: int
    amount_tax_excl: Number = Decimal("0")
    amount_tax_incl: Number = Decimal("0")


class SlipAssociations(PsModel):
    order_slip_details: list[SlipDetail] = []


class OrderSlip(PsModel):
    id: int
    id_order: Id
    id_customer: Id = 0
    total_products_tax_incl: Number = Decimal("0")
    total_shipping_tax_incl: Number = Decimal("0")
    amount: Number = Decimal("0")
    date_add: str = NO_DATE
    associations: SlipAssociations = SlipAssociations()


class CustomerThread(PsModel):
    id: int
    id_order: Id = 0


class CustomerMessage(PsModel):
    id: int
    id_customer_thread: Id
    message: str = ""
    private: str = "0"
    date_add: str = NO_DATE


class Created(PsModel):
    """What a POST answers: the object as saved, of which we only need the id (and sometimes a field or two)."""

    id: int
    secure_key: str = Field("", description="customers only")


def order_marker(reference: str) -> str:
    """What the delivery address's `other` field holds for our external reference: `koongo-order:<key>`.

    No brackets or pipes, so it can be used as a webservice filter value; `other` is shown to the merchant as the
    address's "additional information".
    """
    return f"koongo-order:{encode(reference)}"


def order_reference(marker: str) -> str | None:
    """Our reference back from an address's `other` field; None when the address is not one of ours."""
    return unquote(marker.removeprefix("koongo-order:")) if marker.startswith("koongo-order:") else None
