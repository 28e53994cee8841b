"""The Shopify adapter: our protocol mapped onto the GraphQL Admin API (store-platforms.md §1, §7)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from urllib.parse import quote

from django.utils.translation import gettext_noop as N_

from koongo.http import HttpError, PermanentError, RateLimited, TransientError
from platforms.base import (
    Attribute,
    AttributeKind,
    Capability,
    ProductNotFound,
    RefundRequest,
    ShopInfo,
    StockChange,
    StoreAdapter,
    StoreOrderDraft,
    StoreOrderRef,
    StoreProduct,
    StoreRefund,
    StoreShipment,
    WebhookEvent,
    chunked,
    paginate,
    unique,
)
from platforms.errors import MissingScope
from platforms.markers import key_in, with_key
from platforms.shopify import mapping, queries
from platforms.shopify.client import ShopifyClient, raise_user_errors
from platforms.shopify.credentials import REQUIRED_SCOPES, ShopifyCredentials
from platforms.shopify.schemas import (
    InventoryAdjustmentGroup,
    InventoryTargets,
    MetafieldDefinition,
    Nodes,
    OrderLines,
    OrderSummary,
    OrdersUpdated,
    OrderWithFulfillments,
    OrderWithRefunds,
    Refund,
    ShopFacts,
    SuggestedRefund,
    VariantListing,
)
from platforms.shopify.webhooks import verify_delivery

BATCH = 250  # identifiers per search query; Shopify caps `first` at 250
CATALOG_PAGE = 40  # variants per page: with their metafields this stays under the 1000-point query cap
INVENTORY_PAGE = 50
SEARCH_FIELDS = {"id": "id", "sku": "sku", "gtin": "barcode"}


class ShopifyAdapter(StoreAdapter):
    """Shopify through the GraphQL Admin API at a pinned version.

    Guarantees:
    - Orders: `sourceIdentifier` holds our key and is looked up before every create and after a timeout.
      Orders are created PAID with a SALE transaction through the marketplace as gateway (so refunds have a
      parent) and `inventoryBehaviour: DECREMENT_IGNORING_POLICY`, because the marketplace already sold the goods.
    - Stock: relative `inventoryAdjustQuantities`, one mutation per change with `@idempotent(key: change.key)`.
      Shopify dedupes a resent key, so after a timeout the change is resent and reported applied: never
      ambiguous. A change is never sent twice once the ledger has confirmed it.
    - Refunds: `suggestedRefund` computes the amounts, then `refundCreate` with `@idempotent(key: request.key)`
      and a `[koongo:<key>]` marker in the note, so our refunds are recognised (lookup, no echo). Amounts are in
      the order's presentment currency (`presentmentMoney`, with `currency` set when it differs from the shop's).
    - Refund discovery: orders updated since T (and the REFUNDS_CREATE webhook); the caller dedupes by id.
    - Shipments: fulfillments (status SUCCESS) of orders updated since T, created or updated in the window;
      a tracking number added later arrives as an update of the same shipment id.
    - Notes: `orderUpdate` overwrites the note, so it is read and written back whole under a per-order lock.
    - Listings only reach orders younger than 60 days unless the merchant granted `read_all_orders`.
    """

    code = "shopify"
    name = "Shopify"
    credentials_model = ShopifyCredentials
    capabilities = frozenset(
        {
            Capability.REFUND_SYNC,
            Capability.ITEM_LEVEL_REFUNDS,
            Capability.REFUND_CALCULATOR,
            Capability.REFUND_RESTOCK,
            Capability.IDEMPOTENT_REFUNDS,
            Capability.WEBHOOKS,
            Capability.RELATIVE_STOCK,
            Capability.IDEMPOTENT_STOCK,
            Capability.ORDER_NOTES,
            Capability.LINE_LEVEL_SHIPMENTS,
            Capability.ORDER_CLAIMS_STOCK,  # orderCreate with inventoryBehaviour DECREMENT_IGNORING_POLICY
        }
    )
    limitations = (
        N_(
            "Refunds are made in the currency the customer paid in (the order's presentment currency); a refund asked for in "
            "any other currency is refused rather than converted."
        ),
    )
    # The GraphQL cost bucket (read from extensions.cost, THROTTLED retried) is the real limit; this only smooths bursts.
    requests_per_second = 10.0
    request_burst = 20

    credentials: ShopifyCredentials

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        creds = self.credentials
        self.client: ShopifyClient = self.own(
            ShopifyClient(
                creds.shop_url(),
                creds.api_version,
                creds.access_token.get_secret_value(),
                creds.shop_domain,
                **self.client_options(),
            )
        )
        self._inventory: dict[str, tuple[str, str]] = {}
        self._location: str | None = creds.location_id

    # --- connection and catalog ------------------------------------------------------------------
    def test_connection(self) -> ShopInfo:
        try:
            facts = ShopFacts.model_validate(self.client.query(queries.SHOP_FACTS, name="shopFacts"))
        except RateLimited:
            raise
        except TransientError as error:
            raise TransientError(f"{self.name} shop {self.scope} is unreachable: {error.message}", status=error.status) from error
        granted = {scope.handle for scope in facts.current_app_installation.access_scopes}
        granted |= {"read_" + scope.removeprefix("write_") for scope in granted if scope.startswith("write_")}
        missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
        if missing:
            raise MissingScope(self.name, missing)
        shop = facts.shop
        return ShopInfo(
            name=shop.name or self.scope,
            currency=shop.currency_code,
            prices_include_tax=shop.taxes_included,
            scopes=frozenset(granted),
            platform_version=self.credentials.api_version,
        )

    def identifier_attributes(self) -> list[Attribute]:
        data = self.client.query(queries.METAFIELD_DEFINITIONS, name="metafieldDefinitions")
        definitions = Nodes[MetafieldDefinition].model_validate(data["metafieldDefinitions"]).nodes
        return [
            Attribute(code="id", label="Variant ID", kind=AttributeKind.ID),
            Attribute(code="sku", label="SKU", kind=AttributeKind.SKU),
            Attribute(code="gtin", label="Barcode (GTIN, EAN, UPC)", kind=AttributeKind.GTIN),
            *[
                Attribute(code=f"metafield:{d.namespace}.{d.key}", label=f"Metafield: {d.name}", kind=AttributeKind.CUSTOM)
                for d in definitions
            ],
        ]

    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        return self._variants(None, page_size)

    def get_products(self, identifiers: Sequence[str], attribute: str) -> list[StoreProduct]:
        wanted = unique(identifiers)
        if attribute.startswith("metafield:"):
            # Variants cannot be searched by metafield value, so the catalog is read and filtered.
            return [product for product in self.iter_products(CATALOG_PAGE) if product.identifier(attribute) in wanted]
        if attribute not in SEARCH_FIELDS:
            raise PermanentError(f"{self.name} has no identifier attribute {attribute!r}")
        if attribute == "id":
            wanted = [value for value in wanted if value.isdigit()]  # anything else matches no variant id
        found = []
        for batch in chunked(wanted, BATCH):
            # Search matches tokens and prefixes, so keep only exact matches.
            found += [
                p
                for p in self._variants(mapping.search(SEARCH_FIELDS[attribute], batch), CATALOG_PAGE)
                if p.identifier(attribute) in batch
            ]
        return found

    def _variants(self, query: str | None, page_size: int) -> Iterator[StoreProduct]:
        def fetch(cursor):
            variables = {"first": min(max(page_size, 1), CATALOG_PAGE), "after": cursor, "query": query}
            listing = VariantListing.model_validate(
                self.client.query(queries.PRODUCT_VARIANTS, variables, name="productVariants")
            )
            page = listing.product_variants
            products = [mapping.store_product(variant, listing.shop) for variant in page.nodes]
            return products, page.page_info.end_cursor if page.page_info.has_next_page else None

        return paginate(fetch)

    # --- orders ----------------------------------------------------------------------------------
    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        data = self.client.query(
            queries.ORDERS_BY_SOURCE, {"query": f"source_identifier:{mapping.quoted(reference)}"}, name="ordersBySourceIdentifier"
        )
        for order in Nodes[OrderSummary].model_validate(data["orders"]).nodes:
            if order.source_identifier == reference:
                return mapping.order_ref(order)
        return None

    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        variables = mapping.order_create_variables(draft, products)
        data = self.client.mutate(queries.ORDER_CREATE, variables, name="orderCreate")["orderCreate"]
        raise_user_errors(f"order {draft.key}", data["userErrors"])
        return mapping.order_ref(OrderSummary.model_validate(data["order"]))

    def _order_note(self, order: StoreOrderRef) -> str:
        data = self.client.query(queries.ORDER_NOTE, {"id": order.id}, name="orderNote")
        if not data.get("order"):
            raise PermanentError(f"{self.name} has no order {order.id}")
        return data["order"].get("note") or ""

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        # orderUpdate overwrites the note, so the whole note is written back with the line appended.
        note = f"{current.rstrip()}\n{text}" if current.strip() else text
        data = self.client.mutate(queries.ORDER_UPDATE, {"input": {"id": order.id, "note": note}}, name="orderUpdate")
        raise_user_errors(f"the note of order {order.id}", data["orderUpdate"]["userErrors"])

    # --- stock -----------------------------------------------------------------------------------
    def adjust_stock(self, changes: Sequence[StockChange]):
        try:
            self._load_inventory_targets([change.sku for change in changes if change.sku not in self._inventory])
        except HttpError:
            pass  # each change then looks its SKU up itself and reports its own failure
        return super().adjust_stock(changes)

    def _load_inventory_targets(self, skus: list[str]) -> None:
        for batch in chunked(unique(skus), BATCH):
            targets = self.client.pages(
                queries.INVENTORY_TARGETS,
                {"first": INVENTORY_PAGE, "query": mapping.search("sku", batch)},
                name="inventoryTargets",
                root="product_variants",
                parse=InventoryTargets.model_validate,
            )
            for target in targets:
                levels = target.inventory_item.inventory_levels.nodes
                if target.sku in batch and target.sku not in self._inventory and levels:
                    location = self.credentials.location_id or levels[0].location.id
                    self._inventory[target.sku] = (target.inventory_item.id, location)

    def _stock_delta(self, change: StockChange) -> int | None:
        if change.sku not in self._inventory:
            self._load_inventory_targets([change.sku])
        if change.sku not in self._inventory:
            raise ProductNotFound(self.name, "sku", [change.sku])
        item, location = self._inventory[change.sku]
        adjustment = {
            "reason": "correction",
            "name": "available",
            "referenceDocumentUri": f"koongo://stock-change/{quote(change.key, safe='')}",
            # No compare-and-swap: the delta is relative and the key dedupes resends. Sent explicitly as null
            # because from 2026-07 the field must be present.
            "changes": [{"inventoryItemId": item, "locationId": location, "delta": change.delta, "changeFromQuantity": None}],
        }
        variables = {"input": adjustment, "idempotencyKey": change.key}
        data = self.client.mutate(queries.INVENTORY_ADJUST, variables, name="inventoryAdjustQuantities")[
            "inventoryAdjustQuantities"
        ]
        raise_user_errors(f"stock change {change.key}", data["userErrors"])
        group = InventoryAdjustmentGroup.model_validate(data["inventoryAdjustmentGroup"])
        return next((c.quantity_after_change for c in group.changes if c.name == "available"), None)

    # --- shipments -------------------------------------------------------------------------------
    def _orders_updated_since(self, start: datetime) -> Iterator[OrderSummary]:
        """Orders updated since `start` that carry an external reference: only those can be ours."""
        orders = self.client.pages(
            queries.ORDERS_UPDATED,
            {"query": mapping.updated_since(start)},
            name="ordersUpdatedSince",
            root="orders",
            parse=OrdersUpdated.model_validate,
        )
        return (order for order in orders if order.source_identifier)

    def _order_read(self, document: str, name: str, order_id: str, model):
        data = self.client.query(document, {"id": order_id}, name=name)
        if not data.get("order"):
            raise PermanentError(f"{self.name} has no order {order_id}")
        return model.model_validate(data["order"])

    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        shipments = []
        for summary in self._orders_updated_since(start):
            order = self._order_read(queries.ORDER_FULFILLMENTS, "orderFulfillments", summary.id, OrderWithFulfillments)
            shipments += [
                mapping.store_shipment(order, fulfillment)
                for fulfillment in order.fulfillments
                if fulfillment.status == "SUCCESS"
                and max(fulfillment.created_at, fulfillment.updated_at or fulfillment.created_at) >= start
            ]
        return shipments

    # --- refunds ---------------------------------------------------------------------------------
    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        order = self._order_read(queries.ORDER_REFUNDS, "orderRefunds", request.order.id, OrderWithRefunds)
        return next((mapping.store_refund(order, refund) for refund in order.refunds if key_in(refund.note) == request.key), None)

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        order = self._order_read(queries.ORDER_LINES, "orderLines", request.order.id, OrderLines)
        # Shopify refunds in the presentment (customer's) currency: shipping and transaction amounts are in it,
        # so a request in any other currency would be paid out in the wrong one.
        currency = order.presentment_currency_code or order.currency_code
        if request.currency != currency:
            raise PermanentError(f"{self.name} order {order.id} is in {currency}, the refund in {request.currency}")
        lines = self._refund_line_items(order, request)
        variables = {"id": order.id, "refundLineItems": lines}
        if request.shipping_amount:
            variables["shippingAmount"] = str(request.shipping_amount)
        data = self.client.query(queries.SUGGESTED_REFUND, variables, name="suggestedRefund")
        suggested = SuggestedRefund.model_validate(data["order"]["suggestedRefund"])
        refund_input = {
            "orderId": order.id,
            "note": with_key(request.reason, request.key),
            "notify": False,
            "refundLineItems": lines,
            "transactions": [
                {
                    "orderId": order.id,
                    "parentId": t.parent_transaction.id,
                    # Shopify may suggest no gateway; the refund goes back through the parent's (the input requires one).
                    "gateway": t.gateway or t.parent_transaction.gateway,
                    "kind": "REFUND",
                    "amount": str(t.amount_set.presentment_money.amount),
                }
                for t in suggested.suggested_transactions
                if t.parent_transaction and (t.gateway or t.parent_transaction.gateway)
            ],
        }
        if request.shipping_amount:
            refund_input["shipping"] = {"amount": str(request.shipping_amount)}
        if currency != order.currency_code:
            refund_input["currency"] = currency  # required by Shopify when the two currencies differ
        variables = {"input": refund_input, "idempotencyKey": request.key}
        data = self.client.mutate(queries.REFUND_CREATE, variables, name="refundCreate")["refundCreate"]
        raise_user_errors(f"refund {request.key}", data["userErrors"])
        return mapping.store_refund(order, Refund.model_validate(data["refund"]))

    def _refund_line_items(self, order: OrderLines, request: RefundRequest) -> list[dict]:
        available = {item.id: item for item in order.line_items.nodes}
        items = []
        for line in request.lines:
            candidates = (
                [available[line.line_id]] if line.line_id in available else [i for i in available.values() if i.sku == line.sku]
            )
            item = next((i for i in candidates if i.refundable_quantity >= line.quantity), None)
            if item is None:
                raise PermanentError(
                    f"{self.name} order {order.id} has no refundable line {line.line_id or line.sku} × {line.quantity}"
                )
            entry = {"lineItemId": item.id, "quantity": line.quantity, "restockType": "NO_RESTOCK"}
            if request.restock and item.unfulfilled_quantity >= line.quantity:
                entry["restockType"] = "CANCEL"  # never shipped: back to available as a cancellation
            elif request.restock:
                entry.update(restockType="RETURN", locationId=self._location_id())
            items.append(entry)
        return items

    def _location_id(self) -> str:
        if self._location is None:
            nodes = self.client.query(queries.PRIMARY_LOCATION, name="primaryLocation")["locations"]["nodes"]
            if not nodes:
                raise PermanentError(f"{self.name} shop {self.scope} has no location to restock into")
            self._location = nodes[0]["id"]
        return self._location

    def _refunds_since(self, start: datetime) -> list[StoreRefund]:
        refunds = []
        for summary in self._orders_updated_since(start):
            order = self._order_read(queries.ORDER_REFUNDS, "orderRefunds", summary.id, OrderWithRefunds)
            refunds += [mapping.store_refund(order, refund) for refund in order.refunds if refund.created_at >= start]
        return refunds

    # --- webhooks --------------------------------------------------------------------------------
    def _verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        secrets = [secret.get_secret_value() for secret in self.credentials.app_client_secrets]
        return verify_delivery(headers, body, secrets=secrets)


ADAPTER = ShopifyAdapter
