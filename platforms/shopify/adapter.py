"""The Shopify adapter: our protocol mapped onto the GraphQL Admin API (store-platforms.md §1, §7)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from koongo.http import HttpError, PermanentError, RateLimited, TransientError
from platforms.base import (
    Address,
    Attribute,
    AttributeKind,
    Capability,
    Money,
    ProductNotFound,
    RefundLine,
    RefundRequest,
    ShipmentLine,
    ShopInfo,
    StockChange,
    StoreAdapter,
    StoreOrderDraft,
    StoreOrderRef,
    StorePrice,
    StoreProduct,
    StoreRefund,
    StoreShipment,
    Tracking,
    WebhookEvent,
    chunked,
    paginate,
    unique,
)
from platforms.errors import MissingScope
from platforms.shopify import queries
from platforms.shopify.client import ShopifyClient, raise_user_errors
from platforms.shopify.credentials import REQUIRED_SCOPES, ShopifyCredentials
from platforms.shopify.schemas import (
    Fulfillment,
    InventoryAdjustmentGroup,
    InventoryTargets,
    MetafieldDefinition,
    Nodes,
    OrderLines,
    OrderSummary,
    OrdersUpdated,
    OrderWithFulfillments,
    OrderWithRefunds,
    ProductVariant,
    Refund,
    Shop,
    ShopFacts,
    SuggestedRefund,
    VariantListing,
)
from platforms.shopify.webhooks import verify_delivery

BATCH = 250  # identifiers per search query; Shopify caps `first` at 250
CATALOG_PAGE = 40  # variants per page: with their metafields this stays under the 1000-point query cap
INVENTORY_PAGE = 50
COLOR_NAMES = {"color", "colour", "farve", "färg", "farge", "kleur", "farbe", "couleur", "kolor", "väri"}
SIZE_NAMES = {"size", "størrelse", "storlek", "maat", "größe", "grösse", "taille", "rozmiar", "koko"}
SEARCH_FIELDS = {"id": "id", "sku": "sku", "gtin": "barcode"}
MARKER = re.compile(r"\[koongo:([^\]]+)\]")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _search(field: str, values: Sequence[str]) -> str:
    """A search query matching any of `values` on `field`; ids are numeric and go unquoted."""
    return " OR ".join(f"{field}:{value if field == 'id' else _quoted(value)}" for value in values)


def _since(start: datetime) -> str:
    """Orders updated at or after `start` (whole seconds, rounded down, so nothing at `start` is missed)."""
    return f"updated_at:>='{start.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def _money(amount: Decimal, currency: str) -> dict:
    return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}


def _address(address: Address) -> dict:
    fields = {
        "firstName": address.first_name,
        "lastName": address.last_name,
        "company": address.company,
        "address1": address.street,
        "address2": address.street2,
        "zip": address.postcode,
        "city": address.city,
        "provinceCode": address.region,
        "countryCode": address.country_code,
        "phone": address.phone,
    }
    return {key: value for key, value in fields.items() if value}


def _ref(order: OrderSummary) -> StoreOrderRef:
    return StoreOrderRef(id=order.id, reference=order.source_identifier, name=order.name)


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
      and a `[koongo:<key>]` marker in the note, so our refunds are recognised (lookup, no echo).
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
        }
    )
    requests_per_second = 4.0
    request_burst = 8

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
                for p in self._variants(_search(SEARCH_FIELDS[attribute], batch), CATALOG_PAGE)
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
            products = [self._product(variant, listing.shop) for variant in page.nodes]
            return products, page.page_info.end_cursor if page.page_info.has_next_page else None

        return paginate(fetch)

    def _product(self, variant: ProductVariant, shop: Shop) -> StoreProduct:
        options = {option.name.strip().lower(): option.value for option in variant.selected_options}
        identifiers = {"id": variant.legacy_resource_id, "sku": variant.sku, "gtin": variant.barcode}
        for metafield in variant.metafields.nodes if variant.metafields else []:
            identifiers[f"metafield:{metafield.namespace}.{metafield.key}"] = metafield.value
        basis = (
            "the shop enters prices with tax"
            if shop.taxes_included
            else "the shop enters prices without tax; Shopify adds it by destination"
        )
        price = StorePrice(
            amount=variant.price,
            currency=shop.currency_code,
            tax_included=shop.taxes_included,
            derivation=f"variant price; {basis}",
        )
        original = price
        if variant.compare_at_price is not None and variant.compare_at_price > variant.price:
            original = price.model_copy(
                update={"amount": variant.compare_at_price, "derivation": f"variant compare-at price; {basis}"}
            )
        product = variant.product
        images = [variant.image.url] if variant.image else []
        if product.featured_media and product.featured_media.preview and product.featured_media.preview.image:
            images.append(product.featured_media.preview.image.url)
        return StoreProduct(
            product_id=product.id,
            variant_id=variant.id,
            sku=variant.sku or None,
            gtin=variant.barcode or None,
            identifiers={code: value for code, value in identifiers.items() if value},
            title=product.title,
            brand=product.vendor or None,
            color=next((value for name, value in options.items() if name in COLOR_NAMES), None),
            size=next((value for name, value in options.items() if name in SIZE_NAMES), None),
            category=product.category.name if product.category else product.product_type or None,
            image_urls=tuple(unique(images)),
            stock=variant.inventory_quantity,
            final_price=price,
            original_price=original,
        )

    # --- orders ----------------------------------------------------------------------------------
    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        data = self.client.query(
            queries.ORDERS_BY_SOURCE, {"query": f"source_identifier:{_quoted(reference)}"}, name="ordersBySourceIdentifier"
        )
        for order in Nodes[OrderSummary].model_validate(data["orders"]).nodes:
            if order.source_identifier == reference:
                return _ref(order)
        return None

    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        currency = draft.currency
        order = {
            "currency": currency,
            "lineItems": [
                {
                    "variantId": products[line.identifier].variant_id,
                    "quantity": line.quantity,
                    "priceSet": _money(line.unit_price, currency),
                    "requiresShipping": True,
                }
                for line in draft.lines
            ],
            "billingAddress": _address(draft.billing_address),
            "shippingAddress": _address(draft.shipping_address),
            "shippingLines": [
                {"title": draft.shipping_method or draft.marketplace, "priceSet": _money(draft.shipping_price, currency)}
            ],
            "financialStatus": "PAID",
            # A paid SALE through the marketplace gives later refunds a parent transaction; it moves no money.
            "transactions": [
                {"kind": "SALE", "status": "SUCCESS", "gateway": draft.marketplace, "amountSet": _money(draft.total, currency)}
            ],
            "taxesIncluded": True,
            "sourceIdentifier": draft.key,
            "note": draft.note,
            "tags": [draft.marketplace],
        }
        if draft.email:
            order["email"] = draft.email
        if draft.phone:
            order["phone"] = draft.phone
        if draft.marketplace_order_id:
            order["customAttributes"] = [{"key": f"{draft.marketplace} order", "value": draft.marketplace_order_id}]
        if draft.placed_at:
            order["processedAt"] = draft.placed_at.isoformat()
        options = {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY", "sendReceipt": False, "sendFulfillmentReceipt": False}
        data = self.client.mutate(queries.ORDER_CREATE, {"order": order, "options": options}, name="orderCreate")["orderCreate"]
        raise_user_errors(f"order {draft.key}", data["userErrors"])
        return _ref(OrderSummary.model_validate(data["order"]))

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
                {"first": INVENTORY_PAGE, "query": _search("sku", batch)},
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
            {"query": _since(start)},
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
                self._shipment(order, fulfillment)
                for fulfillment in order.fulfillments
                if fulfillment.status == "SUCCESS"
                and max(fulfillment.created_at, fulfillment.updated_at or fulfillment.created_at) >= start
            ]
        return shipments

    @staticmethod
    def _shipment(order: OrderWithFulfillments, fulfillment: Fulfillment) -> StoreShipment:
        tracking = [Tracking(carrier=t.company, number=t.number, url=t.url) for t in fulfillment.tracking_info if t.number]
        first = tracking[0] if tracking else None
        return StoreShipment(
            shipment_id=fulfillment.id,
            order=_ref(order),
            carrier=first.carrier if first else None,
            tracking_number=first.number if first else None,
            tracking_url=first.url if first else None,
            additional_tracking=tuple(tracking[1:]),
            lines=tuple(
                ShipmentLine(sku=item.line_item.sku, quantity=item.quantity, line_id=item.line_item.id)
                for item in fulfillment.fulfillment_line_items.nodes
            ),
            created_at=fulfillment.created_at,
            updated_at=fulfillment.updated_at,
        )

    # --- refunds ---------------------------------------------------------------------------------
    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        order = self._order_read(queries.ORDER_REFUNDS, "orderRefunds", request.order.id, OrderWithRefunds)
        return next((self._refund(order, refund) for refund in order.refunds if _origin_key(refund) == request.key), None)

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        order = self._order_read(queries.ORDER_LINES, "orderLines", request.order.id, OrderLines)
        if request.currency not in (order.currency_code, order.presentment_currency_code):
            raise PermanentError(f"{self.name} order {order.id} is in {order.currency_code}, the refund in {request.currency}")
        lines = self._refund_line_items(order, request)
        variables = {"id": order.id, "refundLineItems": lines}
        if request.shipping_amount:
            variables["shippingAmount"] = str(request.shipping_amount)
        data = self.client.query(queries.SUGGESTED_REFUND, variables, name="suggestedRefund")
        suggested = SuggestedRefund.model_validate(data["order"]["suggestedRefund"])
        refund_input = {
            "orderId": order.id,
            "note": f"{request.reason} [koongo:{request.key}]".strip(),
            "notify": False,
            "refundLineItems": lines,
            "transactions": [
                {
                    "orderId": order.id,
                    "parentId": t.parent_transaction.id,
                    "gateway": t.gateway,
                    "kind": "REFUND",
                    "amount": str(t.amount_set.shop_money.amount),
                }
                for t in suggested.suggested_transactions
                if t.parent_transaction
            ],
        }
        if request.shipping_amount:
            refund_input["shipping"] = {"amount": str(request.shipping_amount)}
        if order.presentment_currency_code and order.presentment_currency_code != order.currency_code:
            refund_input["currency"] = order.presentment_currency_code
        variables = {"input": refund_input, "idempotencyKey": request.key}
        data = self.client.mutate(queries.REFUND_CREATE, variables, name="refundCreate")["refundCreate"]
        raise_user_errors(f"refund {request.key}", data["userErrors"])
        return self._refund(order, Refund.model_validate(data["refund"]))

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
            refunds += [self._refund(order, refund) for refund in order.refunds if refund.created_at >= start]
        return refunds

    @staticmethod
    def _refund(order: OrderSummary, refund: Refund) -> StoreRefund:
        total = refund.total_refunded_set.shop_money
        shipping = (
            sum(
                (line.subtotal_amount_set.shop_money.amount for line in refund.refund_shipping_lines.nodes),
                Decimal("0"),
            )
            if refund.refund_shipping_lines
            else Decimal("0")
        )
        return StoreRefund(
            refund_id=refund.id,
            order=_ref(order),
            lines=tuple(
                RefundLine(
                    sku=item.line_item.sku,
                    line_id=item.line_item.id,
                    quantity=item.quantity,
                    amount=item.subtotal_set.shop_money.amount if item.subtotal_set else None,
                )
                for item in refund.refund_line_items.nodes
            ),
            shipping_amount=shipping,
            total=Money(amount=total.amount, currency=total.currency_code),
            created_at=refund.created_at,
            origin_key=_origin_key(refund),
            note=refund.note or "",
        )

    # --- webhooks --------------------------------------------------------------------------------
    def _verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        secrets = [secret.get_secret_value() for secret in self.credentials.app_client_secrets]
        return verify_delivery(headers, body, secrets=secrets)


def _origin_key(refund: Refund) -> str | None:
    found = MARKER.search(refund.note or "")
    return found.group(1) if found else None


ADAPTER = ShopifyAdapter
