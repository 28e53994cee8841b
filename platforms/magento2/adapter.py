"""The Magento 2 adapter: our protocol mapped onto the 2.4 REST API (sales, MSI inventory, catalog).

Wire facts: store-platforms.md §3 and §7 (§7.5 for how orders keep the marketplace price).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from django.utils.translation import gettext_noop

from koongo.http import AuthError, PermanentError, RateLimited, TransientError
from platforms.base import (
    Address,
    Attribute,
    AttributeKind,
    Capability,
    MissingScope,
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
    cents,
    chunked,
    gross_up,
    split_gross,
    unique,
)
from platforms.magento2.client import MAX_LIST_INPUT, MAX_PAGE_SIZE, Magento2Client
from platforms.magento2.schemas import (
    DATE_FORMAT,
    AttributeOption,
    Category,
    Comment,
    Creditmemo,
    Magento2Credentials,
    Order,
    Product,
    ProductAttribute,
    Shipment,
    SourceItem,
    StoreConfig,
    StoreView,
)
from platforms.markers import key_in, with_key, without_key

GTIN_CODES = {"ean", "ean13", "gtin", "barcode", "upc"}
SELLABLE_TYPES = "simple,virtual"
# Each probe needs one ACL resource of the integration; Magento names the one it refused.
PROBES = (
    ("/V1/store/storeConfigs", "Magento_Backend::store"),
    ("/V1/orders", "Magento_Sales::sales"),
    ("/V1/products", "Magento_Catalog::products"),
    ("/V1/inventory/source-items", "Magento_InventoryApi::source"),
)
# Core carriers whose tracking pages take the number in the URL; Magento tracks have no URL field.
TRACKING_URLS = {
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def _ref(order: Order) -> StoreOrderRef:
    return StoreOrderRef(id=str(order.entity_id), reference=order.ext_order_id or None, name=order.increment_id)


def _origin_key(comments: list[Comment]) -> str | None:
    return key_in(*(c.comment for c in comments))


def _whole(quantity: Decimal) -> int:
    return int(quantity.to_integral_value())


class Magento2Adapter(StoreAdapter):
    """Magento 2.4 through an integration: OAuth 1.0a signing with its four values, or its token as a bearer token.

    Orders, and how they keep the Miinto price (store-platforms.md §7.5):
    - The cart REST API ignores item prices, so the quote flow cannot show the Miinto price without a PHP
      module. This adapter uses the other REST route, `POST /V1/orders` (OrderRepository::save, the payload
      ChannelEngine's connector saves): every line, total and tax amount is ours, split from Miinto's
      tax-included price with the connection's VAT rate, so the order shows exactly the Miinto price. Only
      drafts in the store view's base currency are accepted, since base and order amounts are written 1:1.
    - Trade-off: Magento calculates nothing and MSI places no reservation for such an order, so the salable
      quantity does not drop when it is placed (and the reservation MSI compensates at shipment can leave it
      high). Stock sync must not rely on the salable quantity of marketplace orders. The REST API documents no
      reservation endpoint (`/V1/inventory/source-items` writes source quantities, which the shipment deducts again),
      so the adapter does not fake one: the capability ORDER_CLAIMS_STOCK is absent and `limitations` says what the
      merchant sees. The alternative, a quote with a custom price through a companion module, gives reservations and
      events but needs PHP on the store.
    - `ext_order_id` holds our key; it is looked up before every create and after a timeout. Every order is
      invoiced offline right away (credit memos refund invoiced quantities), and the draft's note is added as a
      comment; both steps are checked and repeated on a retry, so a crash between them loses neither.
    - Notes: `POST /V1/orders/{id}/comments`, always with the order's current status (a comment without it
      nulls the status). Comments are appended, so the note lock only prevents double comments.
    Stock: MSI source items are absolute, so each change reads the source item and writes the sum under the
    caller's per-SKU lock; the write is one item (the input limit is 20). A write that times out is AMBIGUOUS
    and never resent. Reported stock is the salable quantity of the configured stock.
    Refunds: `POST /V1/order/{id}/refund` creates an offline credit memo from item quantities (Magento's own
    calculator), with `return_to_stock_items` when restocking and an explicit shipping amount. A
    `[koongo:<key>]` comment marks ours; it is looked up before creating and after a timeout.
    Discovery: credit memos polled by `created_at` from the watermark minus the overlap (no webhooks in core).
    Shipments: `/V1/shipments` created or updated since the watermark, with their tracks.
    """

    code = "magento2"
    name = "Magento"
    credentials_model = Magento2Credentials
    capabilities = frozenset({
        Capability.REFUND_SYNC, Capability.ITEM_LEVEL_REFUNDS, Capability.REFUND_CALCULATOR, Capability.REFUND_RESTOCK,
        Capability.ORDER_NOTES, Capability.LINE_LEVEL_SHIPMENTS,
    })
    # No ORDER_CLAIMS_STOCK: POST /V1/orders places no MSI reservation, and the REST API has no documented way to add one.
    limitations = (
        gettext_noop("Orders are written whole through POST /V1/orders so they carry the Miinto prices; Magento's MSI places no "
        "reservation for them, so the salable quantity does not drop when a Miinto order arrives: the items stay on sale "
        "in Magento until the order ships (MSI then deducts the source quantity). Koongo does not lower the source "
        "quantity itself, because the shipment deducts it again."),
        gettext_noop("Tax on Miinto orders is split from the tax-included price with the one VAT rate set on the connection, not with "
        "Magento's tax rules."),
        gettext_noop("Orders are accepted only in the store view's base currency."),
        gettext_noop("Stock is written as absolute MSI source quantities (no delta endpoint); a write whose answer is lost is flagged "
        "for review, never sent again."),
        gettext_noop("Magento Open Source sends no webhooks: refunds (credit memos) and shipments are polled."),
    )
    # Self-hosted Magento has no rate limit; stay gentle with a shop server that also serves customers.
    requests_per_second = 4.0
    request_burst = 8
    # Salable quantities are read one SKU at a time: this many failed reads in one adapter's life are marked unknown
    # (their positions wait for the next run); one more means the store is down, and the run fails.
    unknown_stock_limit = 3

    credentials: Magento2Credentials

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        self.client: Magento2Client = self.own(Magento2Client(self.credentials, **self.client_options()))
        self._config: StoreConfig | None = None
        self._attributes: list[Attribute] | None = None
        self._options: dict[str, dict[str, str]] = {}
        self._categories: dict[str, str | None] = {}
        self._statuses: dict[str, str | None] = {}
        self._unknown_stock = 0

    # --- connection ------------------------------------------------------------------------------
    def test_connection(self) -> ShopInfo:
        refused: list[AuthError] = []
        for path, _resource in PROBES:
            try:
                body = self.client.get(path, None if path.startswith("/V1/store") else {"searchCriteria[pageSize]": "1"})
            except RateLimited:
                raise
            except TransientError as error:
                raise TransientError(f"{self.name} at {self.credentials.base_url} is unreachable: {error.message}", status=error.status) from error
            except AuthError as error:
                if error.status != 401:
                    raise
                refused.append(error)
                continue
            if path == "/V1/store/storeConfigs":
                self._config = self._pick_config(body)
        if len(refused) == len(PROBES):
            raise refused[0]  # nothing answered: the credentials themselves are wrong
        if refused:
            names = {r for error in refused for r in getattr(error, "resources", ())}
            raise MissingScope(self.name, sorted(names) or [resource for (_path, resource) in PROBES[1:]])
        config = self._store_config()
        views = [StoreView.model_validate(v) for v in self.client.get("/V1/store/storeViews")]
        name = next((v.name for v in views if v.code == config.code), config.code)
        return ShopInfo(name=name, currency=config.base_currency_code, prices_include_tax=self.credentials.catalog_prices_include_tax,
                        scopes=frozenset(resource for _path, resource in PROBES))

    def _store_config(self) -> StoreConfig:
        if self._config is None:
            self._config = self._pick_config(self.client.get("/V1/store/storeConfigs"))
        return self._config

    def _pick_config(self, raw: list) -> StoreConfig:
        """The configured store view's config; `all` and unknown codes fall back to the default view."""
        configs = [StoreConfig.model_validate(c) for c in raw]
        wanted = self.credentials.store_code
        return next((c for c in configs if c.code == wanted), None) or next((c for c in configs if c.code == "default"), configs[0])

    # --- catalog ---------------------------------------------------------------------------------
    def identifier_attributes(self) -> list[Attribute]:
        if self._attributes is None:
            groups = [[("frontend_input", "text", "eq")], [("is_user_defined", "1", "eq")]]
            custom = [ProductAttribute.model_validate(a) for a in self.client.search("/V1/products/attributes", groups)]
            kinds = {code: AttributeKind.GTIN for code in GTIN_CODES} | {"mpn": AttributeKind.MPN}
            self._attributes = [
                Attribute(code="id", label="Product ID", kind=AttributeKind.ID), Attribute(code="sku", label="SKU", kind=AttributeKind.SKU),
                *[Attribute(code=a.attribute_code, label=a.default_frontend_label or a.attribute_code,
                            kind=kinds.get(a.attribute_code, AttributeKind.CUSTOM)) for a in custom if a.attribute_code not in ("sku", "name")],
            ]
        return self._attributes

    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        listing = self.client.search("/V1/products", [[("type_id", SELLABLE_TYPES, "in")]], page_size=page_size)
        for page in chunked(listing, max(1, min(page_size, MAX_PAGE_SIZE))):
            yield from self._store_products([Product.model_validate(item) for item in page])

    def get_products(self, identifiers: Sequence[str], attribute: str) -> list[StoreProduct]:
        if attribute not in {a.code for a in self.identifier_attributes()}:
            raise PermanentError(f"{self.name} has no identifier attribute {attribute!r}")
        field = "entity_id" if attribute == "id" else attribute
        found = []
        for batch in chunked(unique(identifiers), MAX_LIST_INPUT):
            items = self.client.search("/V1/products", [[(field, ",".join(batch), "in")], [("type_id", SELLABLE_TYPES, "in")]])
            found += [p for p in self._store_products([Product.model_validate(item) for item in items]) if p.identifier(attribute) in batch]
        return found

    def _store_products(self, products: list[Product]) -> list[StoreProduct]:
        codes = [a.code for a in self.identifier_attributes() if a.kind is not AttributeKind.ID and a.code != "sku"]
        return [self._product(product, codes) for product in products]

    def _product(self, product: Product, identifier_codes: list[str]) -> StoreProduct:
        identifiers = {"id": str(product.id), "sku": product.sku}
        identifiers |= {code: str(product.attribute(code)) for code in identifier_codes if product.attribute(code) not in (None, "")}
        gtin = next((identifiers[code] for code in identifier_codes if code in GTIN_CODES and code in identifiers), None)
        regular = product.price or Decimal("0")
        final = self._final_price(product, regular)
        final_price = self._price(final, "special price" if final < regular else "price")
        media = self._store_config().base_media_url
        images = [f"{media}catalog/product{entry.file}" for entry in sorted(product.media_gallery_entries or [], key=lambda e: e.position)
                  if not entry.disabled]
        links = product.extension_attributes.category_links
        return StoreProduct(
            product_id=str(product.id),
            sku=product.sku,
            gtin=gtin,
            identifiers=identifiers,
            title=product.name,
            brand=self._label("manufacturer", product.attribute("manufacturer")),
            color=self._label("color", product.attribute("color")),
            size=self._label("size", product.attribute("size")),
            category=self._category(links[0].category_id) if links else None,
            image_urls=tuple(unique(images)),
            **self._stock_of(product.sku),
            final_price=final_price,
            original_price=self._price(regular, "price") if final < regular else final_price,
        )

    @staticmethod
    def _final_price(product: Product, regular: Decimal) -> Decimal:
        """The special price while it applies (dates are store-local days; compared as UTC dates here)."""
        special = product.attribute("special_price")
        if special in (None, ""):
            return regular
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        starts, ends = product.attribute("special_from_date"), product.attribute("special_to_date")
        if (starts and str(starts)[:10] > today) or (ends and str(ends)[:10] < today):
            return regular
        return min(regular, Decimal(str(special)))

    def _price(self, amount: Decimal, what: str) -> StorePrice:
        currency = self._store_config().base_currency_code
        if self.credentials.catalog_prices_include_tax:
            return StorePrice(amount=amount, currency=currency, tax_included=True, derivation=f"{what}, entered with tax")
        rate = self.credentials.vat_rate
        return StorePrice(amount=gross_up(amount, rate), currency=currency, tax_included=True,
                          derivation=f"{what} net {cents(amount)} × {1 + rate / 100} (the connection's VAT rate; catalog prices exclude tax)")

    def _label(self, code: str, value) -> str | None:
        """A select attribute's label for an option id; the options of each attribute are read once."""
        if value in (None, ""):
            return None
        if code not in self._options:
            try:
                options = [AttributeOption.model_validate(o) for o in self.client.get(f"/V1/products/attributes/{code}/options")]
            except PermanentError:
                options = []  # the store has no such attribute
            self._options[code] = {o.value: o.label for o in options if o.value}
        return self._options[code].get(str(value))

    def _category(self, category_id: str) -> str | None:
        if category_id not in self._categories:
            try:
                self._categories[category_id] = Category.model_validate(self.client.get(f"/V1/categories/{category_id}")).name
            except PermanentError:
                self._categories[category_id] = None
        return self._categories[category_id]

    def _stock_of(self, sku: str) -> dict:
        """`stock` for one item, or `stock_unknown` when its salable read failed (up to `unknown_stock_limit` times)."""
        try:
            return {"stock": self._salable(sku)}
        except TransientError:
            if self._unknown_stock >= self.unknown_stock_limit:
                raise
            self._unknown_stock += 1
            return {"stock": None, "stock_unknown": True}

    def _salable(self, sku: str) -> int | None:
        """The salable quantity (source quantities minus reservations) of the configured stock; None when Magento has none."""
        try:
            value = self.client.get(f"/V1/inventory/get-product-salable-quantity/{quote(sku, safe='')}/{self.credentials.stock_id}")
        except PermanentError:
            return None
        return int(Decimal(str(value)))

    # --- orders ----------------------------------------------------------------------------------
    def create_order(self, draft: StoreOrderDraft, *, retry: bool = True) -> StoreOrderRef:
        """Create (or find) the order, then make sure it is invoiced and carries the draft's note."""
        ref = super().create_order(draft, retry=retry)
        order = self._order(ref.id)
        if not order.total_invoiced:
            self._invoice(order, draft.marketplace)
        if draft.note:
            self.update_order_note(ref, draft.note)
        return ref

    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        orders = [Order.model_validate(o) for o in self.client.search("/V1/orders", [[("ext_order_id", reference, "eq")]], page_size=5)]
        return next((_ref(order) for order in orders if order.ext_order_id == reference), None)

    def _order(self, order_id: str | int) -> Order:
        return Order.model_validate(self.client.get(f"/V1/orders/{order_id}"))

    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        config, rate, currency = self._store_config(), self.credentials.vat_rate, draft.currency
        if currency != config.base_currency_code:
            # Base and order amounts are written 1:1, which is only true in the store's base currency.
            raise PermanentError(f"{self.name} store view {config.code} is in {config.base_currency_code}, not in the order's {currency}")
        items, subtotal, subtotal_incl, tax_total = [], Decimal("0"), Decimal("0"), Decimal("0")
        for line in draft.lines:
            product = products[line.identifier]
            unit_net, _unit_tax = split_gross(line.unit_price, rate)
            row_incl = line.unit_price * line.quantity
            row_net, row_tax = split_gross(row_incl, rate)
            subtotal, subtotal_incl, tax_total = subtotal + row_net, subtotal_incl + row_incl, tax_total + row_tax
            items.append({
                "sku": product.sku, "name": line.title or product.title, "product_id": int(product.product_id), "product_type": "simple",
                "qty_ordered": line.quantity, "price": unit_net, "base_price": unit_net, "original_price": unit_net,
                "base_original_price": unit_net, "price_incl_tax": line.unit_price, "base_price_incl_tax": line.unit_price,
                "row_total": row_net, "base_row_total": row_net, "row_total_incl_tax": row_incl, "base_row_total_incl_tax": row_incl,
                "tax_amount": row_tax, "base_tax_amount": row_tax, "tax_percent": rate, "discount_amount": 0, "store_id": config.id,
            })
        shipping_net, shipping_tax = split_gross(draft.shipping_price, rate)
        grand = subtotal_incl + draft.shipping_price
        tax_total += shipping_tax
        billing = self._address(draft.billing_address, draft, "billing")
        entity = {
            "store_id": config.id, "state": "new", "status": "pending", "ext_order_id": draft.key,
            "base_currency_code": currency, "global_currency_code": currency, "order_currency_code": currency, "store_currency_code": currency,
            "base_to_global_rate": 1, "base_to_order_rate": 1, "store_to_base_rate": 1, "store_to_order_rate": 1,
            "customer_is_guest": 1, "customer_group_id": 0, "customer_email": billing["email"],
            "customer_firstname": draft.billing_address.first_name, "customer_lastname": draft.billing_address.last_name,
            "subtotal": subtotal, "base_subtotal": subtotal, "subtotal_incl_tax": subtotal_incl, "base_subtotal_incl_tax": subtotal_incl,
            "shipping_amount": shipping_net, "base_shipping_amount": shipping_net, "shipping_incl_tax": draft.shipping_price,
            "base_shipping_incl_tax": draft.shipping_price, "shipping_tax_amount": shipping_tax, "base_shipping_tax_amount": shipping_tax,
            "shipping_description": draft.shipping_method or draft.marketplace,
            "tax_amount": tax_total, "base_tax_amount": tax_total, "grand_total": grand, "base_grand_total": grand,
            "discount_amount": 0, "base_discount_amount": 0, "total_qty_ordered": sum(line.quantity for line in draft.lines),
            "total_item_count": len(items), "items": items, "billing_address": billing,
            "payment": {"method": self.credentials.payment_method, "amount_ordered": grand, "base_amount_ordered": grand,
                        "additional_information": [draft.marketplace, draft.marketplace_order_id or draft.key]},
            "extension_attributes": {"shipping_assignments": [{
                "shipping": {"address": self._address(draft.shipping_address, draft, "shipping"), "method": self.credentials.shipping_method},
                "items": [],
            }]},
        }
        return _ref(Order.model_validate(self.client.post("/V1/orders", {"entity": entity})))

    @staticmethod
    def _address(address: Address, draft: StoreOrderDraft, kind: str) -> dict:
        fields = {
            "address_type": kind, "firstname": address.first_name or "-", "lastname": address.last_name or "-", "company": address.company,
            "street": [part for part in (address.street, address.street2) if part], "city": address.city, "postcode": address.postcode,
            "region": address.region, "country_id": address.country_code,
            # Magento requires a telephone and an e-mail on order addresses.
            "telephone": address.phone or draft.phone or "-", "email": draft.email or f"{draft.key}@marketplace.invalid",
        }
        return {key: value for key, value in fields.items() if value not in (None, "")}

    def _invoice(self, order: Order, marketplace: str) -> None:
        """Invoice the whole order offline: credit memos can only refund invoiced quantities."""
        body = {"capture": False, "notify": False, "appendComment": True,
                "comment": {"comment": f"Paid through {marketplace}", "is_visible_on_front": 0}}
        try:
            self.client.post(f"/V1/order/{order.entity_id}/invoice", body)
        except TransientError:
            # The invoice may have been made before the timeout; only a still-uninvoiced order is an error.
            if not self._order(order.entity_id).total_invoiced:
                raise

    def _order_note(self, order: StoreOrderRef) -> str:
        found = self._order(order.id)
        self._statuses[order.id] = found.status  # read under the note lock, used by the comment that follows
        return "\n".join(h.comment for h in reversed(found.status_histories) if h.comment)

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        history = {"comment": text, "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": int(order.id),
                   "status": self._statuses.pop(order.id, None) or self._order(order.id).status}
        self.client.post(f"/V1/orders/{order.id}/comments", {"statusHistory": history})

    # --- stock -----------------------------------------------------------------------------------
    def _stock_read(self, sku: str) -> int:
        groups = [[("sku", sku, "eq")], [("source_code", self.credentials.source_code, "eq")]]
        items = [SourceItem.model_validate(i) for i in self.client.search("/V1/inventory/source-items", groups, page_size=1)]
        if not items:
            raise ProductNotFound(self.name, f"sku at source {self.credentials.source_code}", [sku])
        return _whole(items[0].quantity)

    def _stock_write(self, sku: str, quantity: int, change: StockChange) -> int | None:
        item = {"sku": sku, "source_code": self.credentials.source_code, "quantity": quantity, "status": 1 if quantity > 0 else 0}
        self.client.post("/V1/inventory/source-items", {"sourceItems": [item]})
        return quantity

    # --- shipments -------------------------------------------------------------------------------
    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        since = _stamp(start)
        groups = [[("created_at", since, "gteq"), ("updated_at", since, "gteq")]]  # tracks added later bump updated_at
        orders: dict[int, Order] = {}
        shipments = []
        for shipment in map(Shipment.model_validate, self.client.search("/V1/shipments", groups)):
            if shipment.order_id not in orders:
                orders[shipment.order_id] = self._order(shipment.order_id)
            order = orders[shipment.order_id]
            if order.ext_order_id:  # only orders we created have anything to report to the marketplace
                shipments.append(self._shipment(order, shipment))
        return shipments

    @staticmethod
    def _shipment(order: Order, shipment: Shipment) -> StoreShipment:
        tracks = [
            Tracking(carrier=t.title or t.carrier_code, number=t.track_number,
                     url=TRACKING_URLS[t.carrier_code].format(quote(t.track_number)) if t.carrier_code in TRACKING_URLS else None)
            for t in shipment.tracks if t.track_number
        ]
        first = tracks[0] if tracks else None
        return StoreShipment(
            shipment_id=str(shipment.entity_id), order=_ref(order), carrier=first.carrier if first else None,
            tracking_number=first.number if first else None, tracking_url=first.url if first else None,
            additional_tracking=tuple(tracks[1:]),
            lines=tuple(ShipmentLine(sku=i.sku, quantity=_whole(i.qty), line_id=str(i.order_item_id)) for i in shipment.items if i.qty > 0),
            created_at=shipment.created_at, updated_at=shipment.updated_at,
        )

    # --- refunds ---------------------------------------------------------------------------------
    def _comments(self, memo_id: int) -> list[Comment]:
        body = self.client.get(f"/V1/creditmemo/{memo_id}/comments") or {}
        return [Comment.model_validate(c) for c in body.get("items") or []]

    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        memos = map(Creditmemo.model_validate, self.client.search("/V1/creditmemos", [[("order_id", request.order.id, "eq")]]))
        for memo in memos:
            comments = self._comments(memo.entity_id)
            if _origin_key(comments) == request.key:
                return self._refund(memo, self._order(memo.order_id), comments)
        return None

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        order = self._order(request.order.id)
        items = []
        for line in request.lines:
            candidates = [i for i in order.items if str(i.item_id) == line.line_id] or [i for i in order.items if i.sku == line.sku]
            item = next((i for i in candidates if i.qty_invoiced - i.qty_refunded >= line.quantity and i.parent_item_id is None), None)
            if item is None:
                raise PermanentError(f"{self.name} order {order.entity_id} has no invoiced, unrefunded line {line.line_id or line.sku} × {line.quantity}")
            items.append({"order_item_id": item.item_id, "qty": line.quantity})
        shipping = request.shipping_amount
        if not self.credentials.catalog_prices_include_tax:
            shipping = split_gross(shipping, self.credentials.vat_rate)[0]  # the store enters amounts net of tax
        body = {
            "items": items, "notify": False, "appendComment": True,
            "comment": {"comment": with_key(request.reason, request.key), "is_visible_on_front": 0},
            # Without an explicit shipping amount Magento refunds all the remaining shipping.
            "arguments": {"shipping_amount": shipping, "adjustment_positive": 0, "adjustment_negative": 0,
                          "extension_attributes": {"return_to_stock_items": [i["order_item_id"] for i in items] if request.restock else []}},
        }
        memo_id = self.client.post(f"/V1/order/{order.entity_id}/refund", body)
        memo = Creditmemo.model_validate(self.client.get(f"/V1/creditmemo/{memo_id}"))
        return self._refund(memo, order, self._comments(memo.entity_id))

    def _refunds_since(self, start: datetime) -> list[StoreRefund]:
        orders: dict[int, Order] = {}
        refunds = []
        for memo in map(Creditmemo.model_validate, self.client.search("/V1/creditmemos", [[("created_at", _stamp(start), "gteq")]])):
            if memo.order_id not in orders:
                orders[memo.order_id] = self._order(memo.order_id)
            refunds.append(self._refund(memo, orders[memo.order_id], self._comments(memo.entity_id)))
        return refunds

    @staticmethod
    def _refund(memo: Creditmemo, order: Order, comments: list[Comment]) -> StoreRefund:
        shipping = memo.shipping_incl_tax if memo.shipping_incl_tax is not None else memo.shipping_amount
        return StoreRefund(
            refund_id=str(memo.entity_id), order=_ref(order),
            lines=tuple(RefundLine(sku=i.sku, line_id=str(i.order_item_id), quantity=_whole(i.qty), amount=i.row_total_incl_tax)
                        for i in memo.items if i.qty > 0),
            shipping_amount=shipping or Decimal("0"), total=Money(amount=memo.grand_total, currency=memo.order_currency_code),
            created_at=memo.created_at, origin_key=_origin_key(comments),
            note="\n".join(without_key(c.comment) for c in comments if c.comment),
        )


ADAPTER = Magento2Adapter
