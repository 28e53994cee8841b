"""The BigCommerce adapter: our protocol mapped onto the v2 Orders and v3 Catalog, Inventory and Payment Actions APIs.

Wire facts: store-platforms.md §2 and §7.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_noop as N_

from koongo.http import AuthError, PermanentError, RateLimited, TransientError
from platforms import standard_webhooks
from platforms.base import (
    Address,
    Attribute,
    AttributeKind,
    Capability,
    MissingScope,
    Money,
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
    WebhookEvent,
    WebhookKind,
    WebhookRejected,
    append_note,
    chunked,
    gross_up,
    option_named,
    split_gross,
    unique,
)
from platforms.bigcommerce.client import PAGE_LIMIT, BigCommerceClient
from platforms.bigcommerce.schemas import (
    BigCommerceCredentials,
    HookPayload,
    InventoryItem,
    Named,
    Order,
    OrderProduct,
    Product,
    Refund,
    RefundQuote,
    Shipment,
    Store,
    TaxSettings,
    Variant,
)
from platforms.markers import key_in, with_key, without_key
from platforms.mechanics import COLOR_NAMES, SIZE_NAMES

AWAITING_FULFILLMENT = 11
BATCH = 50  # identifiers per `:in` filter, keeping URLs short
# Each probe needs one OAuth scope of the API account; a 403 on it names the scope that is missing.
PROBES = (
    ("/v2/store", "store_v2_information_read_only"),
    ("/v2/orders", "store_v2_orders"),
    ("/v3/catalog/products", "store_v2_products_read_only"),
    ("/v3/orders/payment_actions/refunds", "store_v2_transactions"),
    ("/v3/inventory/items", "store_inventory"),
)
KINDS = {
    "store/order/refund/created": WebhookKind.REFUND_CREATED,
    "store/order/updated": WebhookKind.ORDER_UPDATED,
    "store/order/statusUpdated": WebhookKind.ORDER_UPDATED,
    "store/shipment/created": WebhookKind.SHIPMENT_CHANGED,
    "store/shipment/updated": WebhookKind.SHIPMENT_CHANGED,
    "store/shipment/deleted": WebhookKind.SHIPMENT_CHANGED,
    "store/app/uninstalled": WebhookKind.APP_UNINSTALLED,
}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _address(address: Address, email: str | None) -> dict:
    fields = {
        "first_name": address.first_name, "last_name": address.last_name, "company": address.company, "street_1": address.street,
        "street_2": address.street2, "city": address.city, "state": address.region, "zip": address.postcode,
        "country_iso2": address.country_code, "phone": address.phone, "email": email,
    }
    return {key: value for key, value in fields.items() if value}


def _ref(order: Order) -> StoreOrderRef:
    return StoreOrderRef(id=str(order.id), reference=order.external_order_id or None)


def _origin_key(refund: Refund) -> str | None:
    return key_in(refund.reason, *(item.reason for item in refund.items))


class BigCommerceAdapter(StoreAdapter):
    """BigCommerce through a store-level API account (X-Auth-Token).

    Guarantees:
    - Orders: `POST /v2/orders` as Awaiting Fulfillment, with `external_order_id` = our key, looked up with
      `GET /v2/orders?external_order_id=` before every create and after a timeout. Lines are catalog lines
      (product_id + variant_id resolved from the identifier) at the Miinto price: `price_inc_tax` is Miinto's,
      `price_ex_tax` is split off with the connection's VAT rate. Paid offline through the marketplace as a
      custom payment method, in the store's currency only. The note is `staff_notes`, read and rewritten whole
      under the per-order note lock.
    - Stock: relative `POST /v3/inventory/adjustments/relative` at the connection's location, one change per
      call. BigCommerce applies adjustments asynchronously and reads lag, so nothing is read back: a change is
      APPLIED when BigCommerce accepted it, and a change whose call timed out is AMBIGUOUS, never resent.
    - Refunds: never two at once per order (the base's refund lock `refund:bigcommerce:<store>:<order>`, taken
      once; still busy after 60 s it fails the call retryably). A refund quote computes the amounts; the refund pays exactly the quote's total through the offline refund method
      (marketplace-paid orders). Our key is a `[koongo:<key>]` marker in the item reasons, looked up before
      creating and after a timeout. BigCommerce refunds never restock (no REFUND_RESTOCK), so with `restock` the
      base returns the refunded lines to stock by relative adjustments keyed from the refund key
      (`RefundResult.restocked`): once per key, ambiguous after a timeout like any stock change.
    - Refund discovery: `GET /v3/orders/payment_actions/refunds?created:min=` from the watermark minus the
      overlap, and the `store/order/refund/created` webhook (Standard Webhooks signature, 5-minute tolerance).
    - Shipments: every shipment of our orders modified since the watermark (BigCommerce has no cross-order
      shipment list, and tracking can change without a new shipment); the caller dedupes by id.
    - Throttling: the X-Rate-Limit-* quota is shared with the merchant's other apps; see BigCommerceClient.
    """

    code = "bigcommerce"
    name = "BigCommerce"
    credentials_model = BigCommerceCredentials
    capabilities = frozenset({
        Capability.REFUND_SYNC, Capability.ITEM_LEVEL_REFUNDS, Capability.REFUND_CALCULATOR, Capability.WEBHOOKS,
        Capability.RELATIVE_STOCK, Capability.ORDER_NOTES, Capability.LINE_LEVEL_SHIPMENTS, Capability.ORDER_CLAIMS_STOCK,
    })
    limitations = (
        N_("Refunds never restock in BigCommerce: Koongo returns the items by a separate relative adjustment."),
        N_(
            "Stock adjustments are applied asynchronously and cannot be read back, so one whose answer is lost is flagged for "
            "review, never sent again."
        ),
        N_(
            "Orders are written with the Miinto prices and the connection's VAT rate, in the store's currency only; an order "
            "lowers stock as the store's 'update stock' setting says (on order placed, or on completion or shipment)."
        ),
        N_(
            "Products are looked up by SKU or variant id through the inventory items; other identifiers (UPC, GTIN, MPN) read "
            "the whole catalog, since the catalog API cannot filter variants by them in a batch."
        ),
    )
    # 150 requests per 30 s on Standard plans, shared with the merchant's other apps: keep well under half.
    requests_per_second = 2.0
    request_burst = 5

    credentials: BigCommerceCredentials

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        creds = self.credentials
        self.client: BigCommerceClient = self.own(
            BigCommerceClient(creds.api_url(), creds.store_hash, creds.access_token.get_secret_value(), **self.client_options())
        )
        self._names: dict[str, dict[int, str]] = {"brands": {}, "categories": {}}
        self._store: Store | None = None
        self._tax: TaxSettings | None = None

    # --- connection ------------------------------------------------------------------------------
    def test_connection(self) -> ShopInfo:
        granted, missing = set(), []
        for path, scope in PROBES:
            try:
                body = self.client.get(path, {"limit": 1} if path != "/v2/store" else None)
            except RateLimited:
                raise
            except TransientError as error:
                raise TransientError(f"{self.name} store {self.scope} is unreachable: {error.message}", status=error.status) from error
            except AuthError as error:
                if error.status != 403:
                    raise
                missing.append(scope)
                continue
            granted.add(scope)
            if path == "/v2/store":
                self._store = Store.model_validate(body)
        if missing:
            raise MissingScope(self.name, missing)
        store = self._store_facts()
        return ShopInfo(name=store.name, currency=store.currency, prices_include_tax=self._prices_include_tax(), scopes=frozenset(granted))

    def _store_facts(self) -> Store:
        if self._store is None:
            self._store = Store.model_validate(self.client.get("/v2/store"))
        return self._store

    def _prices_include_tax(self) -> bool:
        if self._tax is None:
            self._tax = TaxSettings.model_validate(self.client.get("/v3/tax/settings")["data"])
        return self._tax.tax_entered_with_prices

    # --- catalog ---------------------------------------------------------------------------------
    def identifier_attributes(self) -> list[Attribute]:
        return [
            Attribute(code="id", label="Variant ID", kind=AttributeKind.ID),
            Attribute(code="sku", label="SKU", kind=AttributeKind.SKU),
            Attribute(code="gtin", label="GTIN", kind=AttributeKind.GTIN),
            Attribute(code="upc", label="UPC/EAN field", kind=AttributeKind.CUSTOM),
            Attribute(code="mpn", label="Manufacturer part number (MPN)", kind=AttributeKind.MPN),
        ]

    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        params = {"include": "variants,images"}
        for page in chunked(self.client.pages_v3("/v3/catalog/products", params, limit=page_size), max(1, min(page_size, PAGE_LIMIT))):
            yield from self._store_products([Product.model_validate(item) for item in page])

    def get_products(self, identifiers: Sequence[str], attribute: str) -> list[StoreProduct]:
        wanted = unique(identifiers)
        if attribute not in ("id", "sku"):
            if attribute not in {a.code for a in self.identifier_attributes()}:
                raise PermanentError(f"{self.name} has no identifier attribute {attribute!r}")
            # The catalog cannot be filtered by these fields, so it is read and filtered.
            return [product for product in self.iter_products(PAGE_LIMIT) if product.identifier(attribute) in wanted]
        found = []
        # Get All Variants documents no `sku:in`/`id:in` (a store ignoring them would page the whole catalog); the
        # inventory items do document `sku:in` and `variant_id:in`, and name each item's variant and product.
        key = "variant_id:in" if attribute == "id" else "sku:in"
        for batch in chunked(wanted, BATCH):
            identities = [
                InventoryItem.model_validate(raw).identity
                for raw in self.client.pages_v3("/v3/inventory/items", {key: ",".join(batch)})
            ]
            variant_ids = {i.variant_id for i in identities if (str(i.variant_id) if attribute == "id" else i.sku) in batch}
            product_ids = sorted({i.product_id for i in identities if i.variant_id in variant_ids and i.product_id})
            products = [
                Product.model_validate(item) for ids in chunked(product_ids, BATCH)
                for item in self.client.pages_v3("/v3/catalog/products", {"id:in": ",".join(map(str, ids)), "include": "variants,images"})
            ]
            found += [p for p in self._store_products(products) if int(p.variant_id) in variant_ids]
        return found

    def _store_products(self, products: list[Product]) -> list[StoreProduct]:
        """A page of products as store products, with brand and category names and stock fetched for the page."""
        self._load_names("brands", {p.brand_id for p in products if p.brand_id})
        self._load_names("categories", {c for p in products for c in p.categories[:1]})
        skus = [v.sku for p in products for v in p.variants if v.sku]
        stock = self._available(skus)
        currency, inclusive = self._store_facts().currency, self._prices_include_tax()
        return [self._product(p, v, stock.get(v.sku), currency, inclusive) for p in products for v in p.variants]

    def _load_names(self, kind: str, ids: Iterable[int]) -> None:
        missing = sorted(set(ids) - set(self._names[kind]))
        for batch in chunked(missing, BATCH):
            for item in self.client.pages_v3(f"/v3/catalog/{kind}", {"id:in": ",".join(map(str, batch))}):
                named = Named.model_validate(item)
                self._names[kind][named.id] = named.name

    def _available(self, skus: list[str]) -> dict[str, int]:
        """Available-to-sell per SKU at the connection's location, from the inventory items fetched by SKU."""
        found = {}
        location = self.credentials.location_id
        for batch in chunked(unique(skus), BATCH):
            params = {"sku:in": ",".join(batch), "location_id:in": location}
            for raw in self.client.pages_v3("/v3/inventory/items", params):
                item = InventoryItem.model_validate(raw)
                at = next((loc for loc in item.locations if loc.location_id == location), None)
                if item.identity.sku and at is not None:
                    found[item.identity.sku] = at.available_to_sell
        return found

    def _price(self, amount: Decimal, currency: str, inclusive: bool, what: str) -> StorePrice:
        if inclusive:
            return StorePrice(amount=amount, currency=currency, tax_included=True, derivation=f"{what}, entered with tax")
        rate = self.credentials.vat_rate
        return StorePrice(
            amount=gross_up(amount, rate), currency=currency, tax_included=True,
            derivation=f"{what} net {amount} × {1 + rate / 100} (the connection's VAT rate; the store enters prices without tax)",
        )

    def _product(self, product: Product, variant: Variant, stock: int | None, currency: str, inclusive: bool) -> StoreProduct:
        options = {value.option_display_name: value.label for value in variant.option_values}
        regular = variant.price if variant.price is not None else product.price
        final = variant.calculated_price if variant.calculated_price is not None else regular
        identifiers = {"id": str(variant.id), "sku": variant.sku, "gtin": variant.gtin, "upc": variant.upc, "mpn": variant.mpn}
        final_price = self._price(final, currency, inclusive, "variant calculated price")
        original = self._price(regular, currency, inclusive, "variant price") if regular > final else final_price
        images = [variant.image_url] if variant.image_url else []
        images += [image.url_standard for image in sorted(product.images, key=lambda image: not image.is_thumbnail)]
        return StoreProduct(
            product_id=str(product.id),
            variant_id=str(variant.id),
            sku=variant.sku or None,
            gtin=variant.gtin or None,
            identifiers={code: value for code, value in identifiers.items() if value},
            title=product.name,
            brand=self._names["brands"].get(product.brand_id or 0),
            color=option_named(options, COLOR_NAMES),
            size=option_named(options, SIZE_NAMES),
            category=self._names["categories"].get(product.categories[0]) if product.categories else None,
            image_urls=tuple(unique(images)),
            stock=stock if stock is not None else variant.inventory_level,
            final_price=final_price,
            original_price=original,
        )

    # --- orders ----------------------------------------------------------------------------------
    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        orders = self.client.get("/v2/orders", {"external_order_id": reference}) or []
        return next((_ref(order) for order in map(Order.model_validate, orders) if order.external_order_id == reference), None)

    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        store_currency = self._store_facts().currency
        if draft.currency != store_currency:
            # The order currency is only writable on multi-currency stores; a silent mismatch would misstate every amount.
            raise PermanentError(f"{self.name} store {self.scope} sells in {store_currency}, not in the order's {draft.currency}")
        rate = self.credentials.vat_rate
        lines = []
        for line in draft.lines:
            product = products[line.identifier]
            net, _tax = split_gross(line.unit_price, rate)
            # Both prices are given, as BigCommerce needs for an override; they are the Miinto price, not the catalog's.
            lines.append({"product_id": int(product.product_id), "variant_id": int(product.variant_id), "quantity": line.quantity,
                          "price_inc_tax": line.unit_price, "price_ex_tax": net})
        shipping_net, _tax = split_gross(draft.shipping_price, rate)
        shipping_address = {**_address(draft.shipping_address, draft.email), "shipping_method": draft.shipping_method or draft.marketplace}
        body = {
            "customer_id": 0,
            "status_id": AWAITING_FULFILLMENT,
            "billing_address": _address(draft.billing_address, draft.email),
            "shipping_addresses": [shipping_address],
            "products": lines,
            "shipping_cost_inc_tax": draft.shipping_price,
            "shipping_cost_ex_tax": shipping_net,
            "payment_method": draft.marketplace,
            "external_source": draft.marketplace,
            "external_order_id": draft.key,
            "staff_notes": draft.note,
        }
        if draft.marketplace_order_id:
            body["customer_message"] = f"{draft.marketplace} order {draft.marketplace_order_id}"
        return _ref(Order.model_validate(self.client.post("/v2/orders", body)))

    def _order(self, order_id: str) -> Order:
        return Order.model_validate(self.client.get(f"/v2/orders/{order_id}"))

    def _order_products(self, order_id: str | int) -> list[OrderProduct]:
        return [OrderProduct.model_validate(item) for item in self.client.pages_v2(f"/v2/orders/{order_id}/products")]

    def _order_note(self, order: StoreOrderRef) -> str:
        return self._order(order.id).staff_notes or ""

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        # Only staff_notes is sent: a PUT with line items would reprice the order.
        self.client.put(f"/v2/orders/{order.id}", {"staff_notes": append_note(current, text)})

    # --- stock -----------------------------------------------------------------------------------
    def _stock_delta(self, change: StockChange) -> int | None:
        item = {"location_id": self.credentials.location_id, "sku": change.sku, "quantity": change.delta}
        self.client.post("/v3/inventory/adjustments/relative", {"reason": change.reason or f"koongo {change.key}", "items": [item]})
        return None  # applied asynchronously: the quantity after is not known yet, and reading it back would lag

    # --- shipments -------------------------------------------------------------------------------
    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        params = {"min_date_modified": _iso(start), "sort": "date_modified:asc"}
        shipments = []
        for order in map(Order.model_validate, self.client.pages_v2("/v2/orders", params)):
            if not order.external_order_id:
                continue  # not created by us, so nothing to report to the marketplace
            found = [Shipment.model_validate(item) for item in self.client.pages_v2(f"/v2/orders/{order.id}/shipments")]
            if found:
                skus = {product.id: product.sku for product in self._order_products(order.id)}
                shipments += [self._shipment(order, shipment, skus) for shipment in found]
        return shipments

    @staticmethod
    def _shipment(order: Order, shipment: Shipment, skus: dict[int, str]) -> StoreShipment:
        return StoreShipment(
            shipment_id=str(shipment.id),
            order=_ref(order),
            carrier=shipment.shipping_provider_display_name or shipment.tracking_carrier or shipment.shipping_provider or None,
            tracking_number=shipment.tracking_number or None,
            tracking_url=shipment.tracking_link or shipment.generated_tracking_link or None,
            lines=tuple(ShipmentLine(sku=skus.get(i.order_product_id) or None, quantity=i.quantity, line_id=str(i.order_product_id))
                        for i in shipment.items),
            created_at=shipment.date_created,
        )

    # --- refunds ---------------------------------------------------------------------------------
    def _order_refunds(self, order_id: str) -> list[Refund]:
        return [Refund.model_validate(item) for item in self.client.pages_v3(f"/v3/orders/{order_id}/payment_actions/refunds")]

    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        refund = next((r for r in self._order_refunds(request.order.id) if _origin_key(r) == request.key), None)
        return self._refund(refund, {}, {}) if refund else None

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        order_id = request.order.id
        products = self._order_products(order_id)
        items = self._refund_items(request, products)
        quote = RefundQuote.model_validate(self.client.post(f"/v3/orders/{order_id}/payment_actions/refund_quotes", {"items": items})["data"])
        payments = self._offline_payment(quote)
        refund = Refund.model_validate(self.client.post(f"/v3/orders/{order_id}/payment_actions/refunds",
                                                        {"items": items, "payments": payments})["data"])
        return self._refund(refund, {}, {int(order_id): products})

    def _refund_items(self, request: RefundRequest, products: list[OrderProduct]) -> list[dict]:
        reason = with_key(request.reason, request.key, limit=1000)  # BigCommerce caps reasons at 1000
        items = []
        for line in request.lines:
            candidates = [p for p in products if str(p.id) == line.line_id] or [p for p in products if p.sku == line.sku]
            product = next((p for p in candidates if p.quantity - p.quantity_refunded >= line.quantity), None)
            if product is None:
                raise PermanentError(f"{self.name} order {request.order.id} has no refundable line {line.line_id or line.sku} × {line.quantity}")
            items.append({"item_type": "PRODUCT", "item_id": product.id, "quantity": line.quantity, "reason": reason})
        if request.shipping_amount:
            if not products:
                raise PermanentError(f"{self.name} order {request.order.id} has no shipping address to refund shipping on")
            items.append({"item_type": "SHIPPING", "item_id": products[0].order_address_id, "amount": request.shipping_amount,
                          "reason": reason})
        if not items:
            raise PermanentError(f"a refund on {self.name} order {request.order.id} needs lines or a shipping amount")
        return items

    def _offline_payment(self, quote: RefundQuote) -> list[dict]:
        """The quote's total through one offline method: marketplace-paid orders have no gateway to refund through."""
        for method in quote.refund_methods:
            if len(method) == 1 and method[0].offline and method[0].amount == quote.total_refund_amount:
                option = method[0]
                return [{"provider_id": option.provider_id, "amount": option.amount, "offline": True}]
        raise PermanentError(f"{self.name} offers no single offline refund method for {quote.total_refund_amount} on order {quote.order_id}")

    def _refunds_since(self, start: datetime) -> list[StoreRefund]:
        orders: dict[int, Order] = {}
        products: dict[int, list[OrderProduct]] = {}
        refunds = [Refund.model_validate(item) for item in self.client.pages_v3("/v3/orders/payment_actions/refunds", {"created:min": _iso(start)})]
        return [self._refund(refund, orders, products) for refund in refunds if refund.created >= start]

    def _refund(self, refund: Refund, orders: dict[int, Order], products: dict[int, list[OrderProduct]]) -> StoreRefund:
        """A refund with its order's reference, currency and SKUs, read once per order into the given caches."""
        if refund.order_id not in orders:
            orders[refund.order_id] = self._order(str(refund.order_id))
        if refund.order_id not in products:
            products[refund.order_id] = self._order_products(refund.order_id)
        order, skus = orders[refund.order_id], {p.id: p.sku for p in products[refund.order_id]}
        return StoreRefund(
            refund_id=str(refund.id),
            order=_ref(order),
            lines=tuple(
                RefundLine(sku=skus.get(item.item_id) or None, line_id=str(item.item_id), quantity=item.quantity, amount=item.requested_amount)
                for item in refund.items if item.item_type == "PRODUCT" and item.quantity
            ),
            shipping_amount=sum((item.requested_amount or Decimal("0") for item in refund.items if item.item_type == "SHIPPING"), Decimal("0")),
            total=Money(amount=refund.total_amount, currency=order.currency_code),
            created_at=refund.created,
            origin_key=_origin_key(refund),
            note=without_key(refund.reason),
        )

    # --- webhooks --------------------------------------------------------------------------------
    def _verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        if self.credentials.client_secret is None:
            raise WebhookRejected(f"no {self.name} client secret is configured to verify webhooks")
        # BigCommerce's Standard Webhooks key is base64(client secret), whose decoded bytes are the secret itself.
        delivery_id = standard_webhooks.verify(self.credentials.client_secret.get_secret_value().encode(), headers, body)
        try:
            payload = HookPayload.model_validate(json.loads(body))
        except ValueError as error:
            raise WebhookRejected(f"the {self.name} delivery body is not a webhook payload") from error
        if payload.producer != f"stores/{self.credentials.store_hash}":
            raise WebhookRejected(f"the delivery is for {payload.producer!r}, not store {self.credentials.store_hash}")
        data = payload.data
        refund = data.refund.refund_id if data.refund else None
        order_id = data.id if data.type == "order" else data.order_id
        return WebhookEvent(
            platform=self.code, kind=KINDS.get(payload.scope, WebhookKind.OTHER), topic=payload.scope, delivery_id=delivery_id,
            shop=self.credentials.store_hash, order_id=None if order_id is None else str(order_id),
            object_id=str(refund) if refund is not None else (str(data.id) if data.id is not None else None),
            payload=json.loads(body),
        )


ADAPTER = BigCommerceAdapter
