"""Pydantic models of the Shopify payloads we read: GraphQL Admin objects (camelCase) and REST-shaped webhook bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class GraphModel(BaseModel):
    """A GraphQL Admin object: camelCase on the wire, snake_case here; fields we did not ask for are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Nodes(GraphModel, Generic[T]):
    nodes: list[T]


class PageInfo(GraphModel):
    has_next_page: bool
    end_cursor: str | None = None


class Page(Nodes[T], Generic[T]):
    page_info: PageInfo


class MoneyV2(GraphModel):
    amount: Decimal
    currency_code: str


class MoneyBag(GraphModel):
    shop_money: MoneyV2


class PresentedMoneyBag(MoneyBag):
    """An amount in both currencies: refunds are made in the presentment (customer's) one."""

    presentment_money: MoneyV2


class UserError(GraphModel):
    field: list[str] | None = None
    message: str
    code: str | None = None


class ThrottleStatus(GraphModel):
    maximum_available: float
    currently_available: float
    restore_rate: float


class QueryCost(GraphModel):
    requested_query_cost: float | None = None
    actual_query_cost: float | None = None
    throttle_status: ThrottleStatus


# --- shop and catalog -------------------------------------------------------------------------
class Shop(GraphModel):
    name: str | None = None
    currency_code: str
    taxes_included: bool
    myshopify_domain: str | None = None


class AccessScope(GraphModel):
    handle: str


class AppInstallation(GraphModel):
    access_scopes: list[AccessScope]


class ShopFacts(GraphModel):
    shop: Shop
    current_app_installation: AppInstallation


class MetafieldDefinition(GraphModel):
    namespace: str
    key: str
    name: str


class SelectedOption(GraphModel):
    name: str
    value: str


class Image(GraphModel):
    url: str


class MediaPreview(GraphModel):
    image: Image | None = None


class Media(GraphModel):
    preview: MediaPreview | None = None


class Metafield(GraphModel):
    namespace: str
    key: str
    value: str | None = None


class ProductCategory(GraphModel):
    name: str


class Product(GraphModel):
    id: str
    title: str
    vendor: str | None = None
    product_type: str | None = None
    category: ProductCategory | None = None
    featured_media: Media | None = None


class ProductVariant(GraphModel):
    id: str
    legacy_resource_id: str
    sku: str | None = None
    barcode: str | None = None
    title: str | None = None
    price: Decimal
    compare_at_price: Decimal | None = None
    inventory_quantity: int | None = None
    selected_options: list[SelectedOption] = []
    image: Image | None = None
    metafields: Nodes[Metafield] | None = None
    product: Product


class VariantListing(GraphModel):
    shop: Shop
    product_variants: Page[ProductVariant]


class Location(GraphModel):
    id: str


class InventoryLevel(GraphModel):
    location: Location


class InventoryItem(GraphModel):
    id: str
    inventory_levels: Nodes[InventoryLevel]


class InventoryTarget(GraphModel):
    sku: str | None = None
    inventory_item: InventoryItem


class InventoryTargets(GraphModel):
    product_variants: Page[InventoryTarget]


class InventoryChange(GraphModel):
    name: str
    delta: int
    quantity_after_change: int | None = None


class InventoryAdjustmentGroup(GraphModel):
    id: str
    created_at: datetime | None = None
    changes: list[InventoryChange] = []


# --- orders, fulfillments, refunds ------------------------------------------------------------
class OrderSummary(GraphModel):
    id: str
    name: str | None = None
    source_identifier: str | None = None


class OrdersUpdated(GraphModel):
    orders: Page[OrderSummary]


class LineItemRef(GraphModel):
    id: str
    sku: str | None = None


class TrackingInfo(GraphModel):
    company: str | None = None
    number: str | None = None
    url: str | None = None


class FulfillmentLineItem(GraphModel):
    quantity: int
    line_item: LineItemRef


class Fulfillment(GraphModel):
    id: str
    name: str | None = None
    status: str
    created_at: datetime
    updated_at: datetime | None = None
    tracking_info: list[TrackingInfo] = []
    fulfillment_line_items: Nodes[FulfillmentLineItem]


class OrderWithFulfillments(OrderSummary):
    fulfillments: list[Fulfillment] = []


class RefundLineItem(GraphModel):
    quantity: int
    line_item: LineItemRef
    subtotal_set: MoneyBag | None = None


class RefundShippingLine(GraphModel):
    subtotal_amount_set: MoneyBag


class Refund(GraphModel):
    id: str
    created_at: datetime
    note: str | None = None
    total_refunded_set: MoneyBag
    refund_line_items: Nodes[RefundLineItem]
    refund_shipping_lines: Nodes[RefundShippingLine] | None = None


class OrderWithRefunds(OrderSummary):
    refunds: list[Refund] = []


class LineItem(GraphModel):
    id: str
    sku: str | None = None
    quantity: int
    refundable_quantity: int
    unfulfilled_quantity: int


class OrderLines(OrderSummary):
    currency_code: str
    presentment_currency_code: str | None = None
    line_items: Nodes[LineItem]


class TransactionRef(GraphModel):
    id: str
    gateway: str | None = None


class SuggestedTransaction(GraphModel):
    gateway: str | None = None
    kind: str | None = None
    parent_transaction: TransactionRef | None = None
    amount_set: PresentedMoneyBag


class SuggestedRefundLine(GraphModel):
    quantity: int
    line_item: LineItemRef
    subtotal_set: MoneyBag


class ShippingRefund(GraphModel):
    amount_set: MoneyBag


class SuggestedRefund(GraphModel):
    amount_set: MoneyBag
    subtotal_set: MoneyBag
    total_tax_set: MoneyBag
    shipping: ShippingRefund | None = None
    refund_line_items: list[SuggestedRefundLine] = []
    suggested_transactions: list[SuggestedTransaction] = []


class WebhookSubscription(GraphModel):
    id: str
    topic: str
    uri: str | None = None


# --- OAuth and webhook bodies (REST-shaped, snake_case) ---------------------------------------
class AccessTokenResponse(BaseModel):
    """`POST /admin/oauth/access_token`; the expiry fields appear only for expiring offline tokens."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: SecretStr
    scope: str = ""
    expires_in: int | None = None
    refresh_token: SecretStr | None = None
    refresh_token_expires_in: int | None = None


class WebhookBody(BaseModel):
    """The fields we read from a `refunds/create` or `orders/updated` body."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    order_id: int | None = None
    admin_graphql_api_id: str | None = None
