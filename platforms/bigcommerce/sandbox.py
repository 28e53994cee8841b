"""A BigCommerce simulator: the v2/v3 REST subset the adapter uses, the shared X-Rate-Limit-* quota, Standard Webhooks.

Routes live under /stores/{hash}/; v2 errors are lists of {status, message}, v3 errors {status, title, type}.
Inventory adjustments are processed `adjustment_lag_seconds` late, as BigCommerce's are. Extra control:
POST /_sandbox/settings (quota, window_seconds, adjustment_lag_seconds, tax_entered_with_prices).
"""

from __future__ import annotations

import email.utils
import json
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import wraps

import httpx

from koongo.sandbox_kit import Request, Response, SandboxError, StoreSandboxApp, WindowQuota, json_response
from platforms import standard_webhooks
from platforms.bigcommerce.sandbox_store import Store

STORE_HASH = "k00ng0demo"
TOKEN = "bc-koongo-demo-access-token"
CLIENT_SECRET = "bc-koongo-demo-client-secret"
V3_ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
OPERATIONS = (
    ("POST", r"/v2/orders", "order_create"),
    ("GET", r"/v2/orders", "order_lookup"),
    ("PUT", r"/v2/orders/\d+", "note_write"),
    ("POST", r"/v3/inventory/adjustments/relative", "stock_write"),
    ("GET", r"/v3/inventory/items", "stock_read"),
    ("POST", r"/v3/orders/\d+/payment_actions/refunds", "refund_create"),
)


# Get All Variants' documented query parameters (reference/catalog, product-variants: variants batch).
VARIANT_QUERY = frozenset({"id", "sku", "upc", "page", "limit", "include_fields", "exclude_fields"})


def _in(request: Request, name: str) -> list[str] | None:
    value = request.arg(f"{name}:in")
    return None if value is None else [part for part in value.split(",") if part]


def _parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = email.utils.parsedate_to_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json_default(value):
    return float(value) if isinstance(value, Decimal) else str(value)


def _reply(data, status: int = 200) -> Response:
    return Response(status, json.dumps(data, default=_json_default).encode(), {"Content-Type": "application/json"})


def _v2_shaped(request: Request, response: Response) -> Response:
    """An error on a /v2/ path in the v2 shape (a list of {status, message}); the toolkit builds the v3 one."""
    if response.status >= 400 and "/v2/" in request.path and response.body.startswith(b"{"):
        title = json.loads(response.body).get("title")
        if title is not None:
            return json_response([{"status": response.status, "message": title}], response.status, response.headers)
    return response


class BigCommerceSandbox(StoreSandboxApp):
    code = "bigcommerce"
    name = "bigcommerce"

    # --- state -----------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.settings = {"quota": 150, "window_seconds": 30.0, "adjustment_lag_seconds": 1.0, "tax_entered_with_prices": True}
        self.store = Store(self.now)
        self.quota = WindowQuota(self.settings["quota"], self.settings["window_seconds"])
        self.deliveries: list[dict] = []

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    # --- routing ---------------------------------------------------------------------------------
    def setup_routes(self) -> None:
        routes = [
            ("GET", "/v2/store", self._get_store), ("GET", "/v3/tax/settings", self._get_tax_settings),
            ("GET", "/v3/catalog/products", self._get_products), ("GET", "/v3/catalog/variants", self._get_variants),
            ("GET", "/v3/catalog/brands", lambda r: self._get_named(r, self.store.brands)),
            ("GET", "/v3/catalog/categories", lambda r: self._get_named(r, self.store.categories)),
            ("GET", "/v3/inventory/items", self._get_inventory), ("POST", "/v3/inventory/adjustments/relative", self._post_relative),
            ("GET", "/v2/orders", self._get_orders), ("POST", "/v2/orders", self._post_order),
            ("GET", "/v2/orders/{id}", self._get_order), ("PUT", "/v2/orders/{id}", self._put_order),
            ("GET", "/v2/orders/{id}/products", self._get_order_products),
            ("GET", "/v2/orders/{id}/shipments", self._get_shipments), ("POST", "/v2/orders/{id}/shipments", self._post_shipment),
            ("POST", "/v3/orders/{id}/payment_actions/refund_quotes", self._post_quote),
            ("POST", "/v3/orders/{id}/payment_actions/refunds", self._post_refund),
            ("GET", "/v3/orders/{id}/payment_actions/refunds", self._get_order_refunds),
            ("GET", "/v3/orders/payment_actions/refunds", self._get_refunds),
        ]
        for method, path, handler in routes:
            self.router.add(method, "/stores/{hash}" + path, self._api(handler))
        self.router.add("POST", "/_sandbox/settings", self._control_settings)

    def _api(self, handler):
        """Authenticate, then run the handler under the state lock."""

        @wraps(handler)
        def run(request: Request) -> Response:
            if request.params.get("hash") != STORE_HASH or request.header("x-auth-token") != TOKEN:
                return self._error(request, 401, "You were not authorised to access this resource: the X-Auth-Token is not valid")
            with self.lock:
                return handler(request)

        return run

    def handle(self, request: Request) -> Response:
        """Every API call counts against the window's quota and answers with the X-Rate-Limit-* headers."""
        if request.path.startswith("/_sandbox/"):
            return super().handle(request)
        with self.lock:
            allowed = self.quota.take()
            headers = self._quota_headers()
        if not allowed:
            return self._throttled(headers)
        response = _v2_shaped(request, super().handle(request))
        response.headers = {**headers, **response.headers}
        return response

    def _quota_headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Time-Window-Ms": str(int(self.quota.window * 1000)), "X-Rate-Limit-Time-Reset-Ms": str(self.quota.reset_ms),
            "X-Rate-Limit-Requests-Quota": str(self.quota.quota), "X-Rate-Limit-Requests-Left": str(self.quota.remaining),
        }

    def _throttled(self, headers: dict[str, str]) -> Response:
        body = {"status": 429, "title": "Too many requests", "type": V3_ERROR_TYPE}
        return json_response(body, 429, {**headers, "X-Rate-Limit-Requests-Left": "0"})

    def throttle_response(self, retry_after: int) -> Response:
        headers = {"X-Rate-Limit-Time-Window-Ms": "30000", "X-Rate-Limit-Time-Reset-Ms": str(retry_after * 1000),
                   "X-Rate-Limit-Requests-Quota": str(self.quota.quota)}
        return self._throttled(headers)

    def error_response(self, status: int, message: str) -> Response:
        return json_response({"status": status, "title": message, "type": V3_ERROR_TYPE}, status)

    def _error(self, request: Request, status: int, message: str) -> Response:
        if "/v2/" in request.path:
            return json_response([{"status": status, "message": message}], status)
        return self.error_response(status, message)

    # --- store, catalog, inventory ---------------------------------------------------------------
    def _get_store(self, request: Request) -> Response:
        return _reply({"id": "1001", "domain": "koongo-demo.mybigcommerce.com", "name": "Koongo Demo Store", "currency": self.store.currency,
                       "currency_symbol": "kr.", "decimal_places": 2, "plan_name": "Standard", "country_code": "DK"})

    def _get_tax_settings(self, request: Request) -> Response:
        return _reply({"data": {"tax_entered_with_prices": self.store.tax_entered_with_prices,
                                "price_display_settings": {"show_inclusive_in_control_panel": True, "invoice_price_display_strategy": "ZONE"},
                                "fallback_strategy": "FIXED"}, "meta": {}})

    def _page(self, request: Request, items: list) -> Response:
        page, limit = int(request.arg("page") or 1), min(int(request.arg("limit") or 50), 250)
        pages = max(1, -(-len(items) // limit))
        chunk = items[(page - 1) * limit: page * limit]
        pagination = {"total": len(items), "count": len(chunk), "per_page": limit, "current_page": page, "total_pages": pages,
                      "links": {"current": f"?page={page}&limit={limit}"}}
        return _reply({"data": chunk, "meta": {"pagination": pagination}})

    def _get_products(self, request: Request) -> Response:
        self.store.settle()
        ids = _in(request, "id")
        include = set((request.arg("include") or "").split(","))
        products = [p for p in self.store.products.values() if ids is None or str(p.id) in ids]
        return self._page(request, [self.store.product_view(p, include) for p in products])

    def _get_variants(self, request: Request) -> Response:
        """Get All Variants filters by one `id`, `sku` or `upc`: no `:in` forms. A real store ignores an unknown filter
        and answers the whole catalog, page by page, so the simulator refuses one instead of hiding the scan."""
        unknown = sorted({key for key, _ in request.query} - VARIANT_QUERY)
        if unknown:
            return self.error_response(400, f"Undocumented filter(s) on /v3/catalog/variants: {', '.join(unknown)}")
        self.store.settle()
        sku, variant_id, upc = request.arg("sku"), request.arg("id"), request.arg("upc")
        found = [
            v for v in self.store.variants()
            if (sku is None or v.sku == sku) and (variant_id is None or str(v.id) == variant_id)
            and (upc is None or self.store.variant_view(v).get("upc") == upc)
        ]
        return self._page(request, [self.store.variant_view(v) for v in found])

    def _get_named(self, request: Request, table: dict[int, str]) -> Response:
        ids = _in(request, "id")
        return self._page(request, [{"id": key, "name": name} for key, name in table.items() if ids is None or str(key) in ids])

    def _get_inventory(self, request: Request) -> Response:
        self.store.settle()
        skus, variant_ids, product_ids = _in(request, "sku"), _in(request, "variant_id"), _in(request, "product_id")
        found = [
            v for v in self.store.variants()
            if (skus is None or v.sku in skus) and (variant_ids is None or str(v.id) in variant_ids)
            and (product_ids is None or str(v.product_id) in product_ids)
        ]
        return self._page(request, [self.store.inventory_view(v) for v in found])

    def _post_relative(self, request: Request) -> Response:
        self.store.lag = self.settings["adjustment_lag_seconds"]
        self.store.adjust_relative((request.json() or {}).get("items") or [])
        return _reply({"transaction_id": str(uuid.UUID(int=self.random.getrandbits(128)))})

    # --- orders ----------------------------------------------------------------------------------
    def _get_orders(self, request: Request) -> Response:
        orders = list(self.store.orders.values())
        if request.arg("external_order_id") is not None:
            orders = [o for o in orders if o.body.get("external_order_id") == request.arg("external_order_id")]
        if request.arg("min_date_modified"):
            since = _parse_moment(request.arg("min_date_modified"))
            orders = [o for o in orders if o.modified >= since]
        if request.arg("sort") == "date_modified:asc":
            orders.sort(key=lambda o: (o.modified, o.id))
        page, limit = int(request.arg("page") or 1), min(int(request.arg("limit") or 50), 250)
        chunk = orders[(page - 1) * limit: page * limit]
        return _reply([self.store.order_view(o) for o in chunk]) if chunk else Response(204)

    def _post_order(self, request: Request) -> Response:
        return _reply(self.store.order_view(self.store.create_order(request.json() or {})), 201)

    def _get_order(self, request: Request) -> Response:
        return _reply(self.store.order_view(self.store.order(request.params["id"])))

    def _put_order(self, request: Request) -> Response:
        order, body = self.store.order(request.params["id"]), request.json() or {}
        unsupported = set(body) - {"staff_notes", "status_id", "customer_message"}
        if unsupported:
            raise SandboxError(400, f"This simulator only updates staff_notes, status_id and customer_message, not {sorted(unsupported)}")
        order.body.update(body)  # fields sent overwrite, as BigCommerce's PUT does
        order.modified = self.now()
        return _reply(self.store.order_view(order))

    def _get_order_products(self, request: Request) -> Response:
        order = self.store.order(request.params["id"])
        page, limit = int(request.arg("page") or 1), min(int(request.arg("limit") or 50), 250)
        return _reply([self.store.line_view(line) for line in order.lines[(page - 1) * limit: page * limit]])

    def _get_shipments(self, request: Request) -> Response:
        order = self.store.order(request.params["id"])
        page, limit = int(request.arg("page") or 1), min(int(request.arg("limit") or 50), 250)
        chunk = order.shipments[(page - 1) * limit: page * limit]
        return _reply(chunk) if chunk else Response(204)

    def _post_shipment(self, request: Request) -> Response:
        order = self.store.order(request.params["id"])
        shipment = self.store.ship(order, request.json() or {})
        self._deliver("store/shipment/created", {"type": "shipment", "id": shipment["id"], "orderId": order.id})
        return _reply(shipment, 201)

    # --- refunds ---------------------------------------------------------------------------------
    def _post_quote(self, request: Request) -> Response:
        order = self.store.order(request.params["id"])
        return _reply({"data": self.store.quote(order, (request.json() or {}).get("items") or []), "meta": {}}, 201)

    def _post_refund(self, request: Request) -> Response:
        order = self.store.order(request.params["id"])
        return _reply({"data": self._refund(order, request.json() or {}, user_id=0), "meta": {}}, 201)

    def _refund(self, order, body: dict, user_id: int) -> dict:
        refund = self.store.refund(order, body, user_id)
        self._deliver("store/order/refund/created", {"type": "order", "id": order.id, "refund": {"refund_id": refund["id"]}})
        return refund

    def _get_order_refunds(self, request: Request) -> Response:
        order = self.store.order(request.params["id"])
        return self._page(request, [r for r in self.store.refunds if r["order_id"] == order.id])

    def _get_refunds(self, request: Request) -> Response:
        since = _parse_moment(request.arg("created:min")) if request.arg("created:min") else None
        orders = _in(request, "order_id")
        found = [r for r in self.store.refunds if (since is None or datetime.fromisoformat(r["created"]) >= since)
                 and (orders is None or str(r["order_id"]) in orders)]
        return self._page(request, found)

    # --- webhooks --------------------------------------------------------------------------------
    def _deliver(self, scope: str, data: dict) -> None:
        """Record the signed delivery BigCommerce would POST for an event (Standard Webhooks, key = the client secret)."""
        created = int(self.now().timestamp())
        payload = {"scope": scope, "store_id": "1001", "data": data, "hash": uuid.UUID(int=self.random.getrandbits(128)).hex,
                   "created_at": created, "producer": f"stores/{STORE_HASH}"}
        body = json.dumps(payload)
        message_id = str(uuid.UUID(int=self.random.getrandbits(128)))
        headers = {"Content-Type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(created),
                   "webhook-signature": standard_webhooks.sign(CLIENT_SECRET.encode(), message_id, created, body.encode())}
        kind = {"store/order/refund/created": "refund_created", "store/shipment/created": "shipment_changed"}.get(scope, "other")
        self.deliveries.append({"kind": kind, "topic": scope, "headers": headers, "body": body})

    def webhook_deliveries(self) -> list[dict]:
        return list(self.deliveries)

    # --- control ---------------------------------------------------------------------------------
    def _control_settings(self, request: Request) -> Response:
        body = request.json() or {}
        unknown = set(body) - set(self.settings)
        if unknown:
            return json_response({"error": f"unknown settings: {sorted(unknown)}"}, 400)
        with self.lock:
            self.settings.update(body)
            self.quota = WindowQuota(int(self.settings["quota"]), float(self.settings["window_seconds"]))
            self.store.tax_entered_with_prices = bool(self.settings["tax_entered_with_prices"])
        return json_response(self.settings)

    # --- the merchant-side conventions (StoreSandboxApp) -----------------------------------------
    def shop_facts(self, account: str | None = None) -> dict:
        return {"name": "Koongo Demo Store", "currency": self.store.currency, "prices_include_tax": self.store.tax_entered_with_prices}

    def demo_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {"store_hash": STORE_HASH, "access_token": TOKEN, "client_secret": CLIENT_SECRET,
                "base_url": base_url.rstrip("/") if base_url else None}

    def invalid_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {**self.demo_credentials(base_url, account), "access_token": "not-a-valid-token"}

    def seed_products(self, items: list[dict], account: str | None = None) -> list[dict]:
        return self.store.seed(items)

    def stock_of(self, sku: str, account: str | None = None) -> int:
        with self.lock:
            self.store.settle(everything=True)
            variant = self.store.variant_by_sku(sku)
            if variant is None:
                raise SandboxError(404, f"no variant with SKU {sku}")
            return variant.stock

    def orders_summary(self, reference: str | None = None, account: str | None = None) -> list[dict]:
        return [
            {"id": str(o.id), "reference": o.body.get("external_order_id") or None, "note": o.body.get("staff_notes") or "",
             "lines": [{"sku": line.sku, "quantity": line.quantity, "unit_price": str(line.price_inc_tax)} for line in o.lines]}
            for o in self.store.orders.values() if reference is None or o.body.get("external_order_id") == reference
        ]

    def make_shipment(self, order_id: str, lines: list[dict], *, carrier: str, tracking_number: str,
                      tracking_url: str | None = None, account: str | None = None) -> str:
        order = self.store.order(order_id)
        items = [{"order_product_id": self._line(order, line["sku"]).id, "quantity": int(line["quantity"])} for line in lines]
        body = {"order_address_id": order.address_id, "tracking_number": tracking_number, "tracking_carrier": carrier.lower(),
                "shipping_provider_display_name": carrier, "tracking_link": tracking_url or "", "items": items}
        shipment = self.store.ship(order, body)
        self._deliver("store/shipment/created", {"type": "shipment", "id": shipment["id"], "orderId": order.id})
        return str(shipment["id"])

    def make_refund(self, order_id: str, lines: list[dict], *, shipping_amount: str = "0", note: str = "",
                    account: str | None = None) -> str:
        """A refund from the control panel: quoted, paid back offline through the custom method, no restock."""
        order = self.store.order(order_id)
        items = [{"item_type": "PRODUCT", "item_id": self._line(order, line["sku"]).id, "quantity": int(line["quantity"]), "reason": note}
                 for line in lines]
        if Decimal(shipping_amount):
            items.append({"item_type": "SHIPPING", "item_id": order.address_id, "amount": Decimal(shipping_amount), "reason": note})
        quote = self.store.quote(order, items)
        payments = [{"provider_id": "custom", "amount": quote["total_refund_amount"], "offline": True}]
        return str(self._refund(order, {"items": items, "payments": payments}, user_id=1)["id"])

    def refunds_summary(self, order_id: str, account: str | None = None) -> list[dict]:
        order = self.store.order(order_id)
        skus = {line.id: line.sku for line in order.lines}
        return [{"id": str(r["id"]), "lines": [{"sku": skus[i["item_id"]], "quantity": i["quantity"]} for i in r["items"]
                                               if i["item_type"] == "PRODUCT"]}
                for r in self.store.refunds if r["order_id"] == order.id]

    def operation_of(self, request: httpx.Request) -> str | None:
        path = request.url.path.split(f"/stores/{STORE_HASH}", 1)[-1]
        return next((name for method, pattern, name in OPERATIONS if request.method == method and re.fullmatch(pattern, path)), None)

    @staticmethod
    def _line(order, sku: str):
        for line in order.lines:
            if line.sku == sku:
                return line
        raise SandboxError(400, f"order {order.id} has no line with SKU {sku}")


SANDBOX = BigCommerceSandbox
