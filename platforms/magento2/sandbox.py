"""A Magento 2.4 simulator: the REST subset the adapter uses under /rest/{store}/V1, OAuth 1.0a verification (or bearer
tokens when the store allows them), searchCriteria with the web API input limits, MSI salable quantities, no webhooks.

Extra control: POST /_sandbox/settings (bearer_allowed, input_limits).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from functools import wraps
from urllib.parse import unquote

import httpx

from koongo.sandbox_kit import Request, Response, SandboxError, StoreSandboxApp, json_response
from platforms import oauth1
from platforms.magento2.sandbox_store import SOURCE, STOCK_ID, Catalog, Sales, apply_search, search_params

HOST = "http://magento.sandbox"
STORE_NAME = "Koongo Demo Store View"
CONSUMER = ("kc0nsumerkey0000000000000000000a", "kc0nsumersecret00000000000000000b")
TOKEN = ("kacc3sstoken0000000000000000000c", "kacc3sstokensecret0000000000000d")
UNAUTHORIZED = {"message": "The consumer isn't authorized to access %resources.", "parameters": {"resources": "Magento_Backend::admin"}}
OPERATIONS = (
    ("POST", r"/V1/orders", "order_create"),
    ("GET", r"/V1/orders", "order_lookup"),
    ("POST", r"/V1/orders/\d+/comments", "note_write"),
    ("POST", r"/V1/inventory/source-items", "stock_write"),
    ("GET", r"/V1/inventory/source-items", "stock_read"),
    ("POST", r"/V1/order/\d+/refund", "refund_create"),
)
TIMESTAMP_WINDOW = 600  # seconds an OAuth timestamp may be off


def _default(value):
    return float(value) if isinstance(value, Decimal) else str(value)


def _reply(data, status: int = 200) -> Response:
    return Response(status, json.dumps(data, default=_default).encode(), {"Content-Type": "application/json; charset=utf-8"})


class Magento2Sandbox(StoreSandboxApp):
    code = "magento2"
    name = "magento2"

    # --- state -----------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.settings = {"bearer_allowed": False, "input_limits": True, "catalog_prices_include_tax": False}
        self.ids = itertools.count(1)
        self.catalog = Catalog(self.ids, prices_include_tax=False, tax_rate=Decimal("25"))
        self.sales = Sales(self.ids, self.catalog, self.now)
        self.nonces: set[tuple[str, str]] = set()

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    # --- routing and auth ------------------------------------------------------------------------
    def setup_routes(self) -> None:
        routes = [
            ("GET", "/V1/store/storeConfigs", self._store_configs), ("GET", "/V1/store/storeViews", self._store_views),
            ("GET", "/V1/products", self._products), ("GET", "/V1/products/attributes", self._attributes),
            ("GET", "/V1/products/attributes/{code}/options", self._options), ("GET", "/V1/categories/{id}", self._category),
            ("GET", "/V1/inventory/source-items", self._source_items), ("POST", "/V1/inventory/source-items", self._save_source_items),
            ("GET", "/V1/inventory/get-product-salable-quantity/{sku}/{stock}", self._salable),
            ("GET", "/V1/orders", self._orders), ("POST", "/V1/orders", self._save_order), ("GET", "/V1/orders/{id}", self._order),
            ("POST", "/V1/orders/{id}/comments", self._comment), ("POST", "/V1/order/{id}/invoice", self._invoice),
            ("POST", "/V1/order/{id}/refund", self._refund), ("GET", "/V1/creditmemos", self._creditmemos),
            ("GET", "/V1/creditmemo/{id}", self._creditmemo), ("GET", "/V1/creditmemo/{id}/comments", self._creditmemo_comments),
            ("GET", "/V1/shipments", self._shipments),
        ]
        for method, path, handler in routes:
            self.router.add(method, "/rest/{store}" + path, self._api(handler))
        self.router.add("POST", "/_sandbox/settings", self._control_settings)

    def _api(self, handler):
        @wraps(handler)
        def run(request: Request) -> Response:
            refusal = self._authenticate(request)
            if refusal:
                return refusal
            if request.params.get("store") not in ("default", "all"):
                return _reply({"message": "The store that was requested wasn't found. Verify the store and try again."}, 404)
            with self.lock:
                return handler(request)

        return run

    def _authenticate(self, request: Request) -> Response | None:
        header = request.header("authorization")
        if header.startswith("Bearer "):
            # Since 2.4.4 an integration token is only a bearer token when the store allows it.
            ok = self.settings["bearer_allowed"] and header[len("Bearer "):] == TOKEN[0]
            return None if ok else _reply(UNAUTHORIZED, 401)
        oauth = oauth1.parse_authorization(header)
        if oauth.get("oauth_consumer_key") != CONSUMER[0] or oauth.get("oauth_token") != TOKEN[0]:
            return _reply(UNAUTHORIZED, 401)
        if oauth.get("oauth_signature_method") not in oauth1.DIGESTS or abs(time.time() - int(oauth.get("oauth_timestamp", 0))) > TIMESTAMP_WINDOW:
            return _reply({"message": "oauth_problem=timestamp_refused"}, 401)
        if not self._signature_holds(request, oauth):
            return _reply({"message": "The signature is invalid. Verify and try again."}, 401)
        with self.lock:
            if (oauth["oauth_timestamp"], oauth["oauth_nonce"]) in self.nonces:
                return _reply({"message": "The nonce is already being used by the consumer with ID %1.", "parameters": ["1"]}, 401)
            self.nonces.add((oauth["oauth_timestamp"], oauth["oauth_nonce"]))
        return None

    def _signature_holds(self, request: Request, oauth: dict[str, str]) -> bool:
        """Check against each URL the client may have signed: behind the demo's prefix mount the path lost /magento2."""
        params = [*request.query, *((k, v) for k, v in oauth.items())]
        host = request.header("host") or "magento.sandbox"
        for scheme in ("http", "https"):
            for prefix in ("", f"/{self.code}"):
                base = oauth1.base_string(request.method, f"{scheme}://{host}{prefix}{request.path}", params)
                if oauth1.sign(base, CONSUMER[1], TOKEN[1], oauth["oauth_signature_method"]) == oauth.get("oauth_signature"):
                    return True
        return False

    def error_response(self, status: int, message: str) -> Response:
        return _reply({"message": message}, status)

    # --- searchCriteria --------------------------------------------------------------------------
    def _search(self, request: Request, rows: list[dict], field=lambda row, name: row.get(name), view=lambda row: row) -> Response:
        groups, page_size, page, sort = search_params(request)
        if self.settings["input_limits"]:
            if page_size > 300:
                raise SandboxError(400, f"Maximum SearchCriteria pageSize is 300, {page_size} given")
            page_size = page_size or 20
        found = apply_search(rows, groups, field)
        if sort:
            found.sort(key=lambda row: str(field(row, sort[0])), reverse=sort[1].upper() == "DESC")
        chunk = found[(page - 1) * page_size: page * page_size] if page_size else found
        criteria = {"filter_groups": [{"filters": [{"field": f, "value": v, "condition_type": c} for f, v, c in g]} for g in groups],
                    "page_size": page_size or None, "current_page": page}
        return _reply({"items": [view(row) for row in chunk], "search_criteria": criteria, "total_count": len(found)})

    # --- store and catalog -----------------------------------------------------------------------
    def _store_configs(self, request: Request) -> Response:
        return _reply([{"id": 1, "code": "default", "website_id": 1, "locale": "da_DK", "base_currency_code": "DKK",
                        "default_display_currency_code": "DKK", "timezone": "Europe/Copenhagen", "weight_unit": "kgs",
                        "base_url": f"{HOST}/", "base_link_url": f"{HOST}/", "base_static_url": f"{HOST}/static/",
                        "base_media_url": f"{HOST}/media/", "secure_base_url": f"{HOST}/", "secure_base_media_url": f"{HOST}/media/"}])

    def _store_views(self, request: Request) -> Response:
        return _reply([{"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1},
                       {"id": 1, "code": "default", "name": STORE_NAME, "website_id": 1, "store_group_id": 1, "is_active": 1}])

    def _products(self, request: Request) -> Response:
        return self._search(request, list(self.catalog.products.values()), self.catalog.field, self.catalog.product_view)

    def _attributes(self, request: Request) -> Response:
        rows = [{"attribute_id": 90, "attribute_code": "ean", "frontend_input": "text", "is_user_defined": True, "default_frontend_label": "EAN"},
                {"attribute_id": 73, "attribute_code": "name", "frontend_input": "text", "is_user_defined": False, "default_frontend_label": "Product Name"},
                {"attribute_id": 74, "attribute_code": "sku", "frontend_input": "text", "is_user_defined": False, "default_frontend_label": "SKU"},
                *[{"attribute_id": 80 + n, "attribute_code": code, "frontend_input": "select", "is_user_defined": True, "default_frontend_label": label}
                  for n, (code, label) in enumerate({"color": "Color", "size": "Size", "manufacturer": "Manufacturer"}.items())]]

        def field(row, name):
            value = row.get(name)
            return str(int(value)) if isinstance(value, bool) else value

        return self._search(request, rows, field)

    def _options(self, request: Request) -> Response:
        code = request.params["code"]
        if code not in self.catalog.options:
            raise SandboxError(404, f"The attribute with a \"{code}\" attributeCode doesn't exist. Verify the attribute and try again.")
        return _reply([{"label": " ", "value": ""}, *({"label": label, "value": value} for label, value in self.catalog.options[code].items())])

    def _category(self, request: Request) -> Response:
        name = self.catalog.categories.get(int(request.params["id"]))
        if name is None:
            raise SandboxError(404, f'No such entity with id = {request.params["id"]}')
        return _reply({"id": int(request.params["id"]), "parent_id": 2, "name": name, "is_active": True, "position": 1, "level": 2,
                       "children": "", "path": f"1/2/{request.params['id']}", "include_in_menu": True})

    # --- inventory -------------------------------------------------------------------------------
    def _source_items(self, request: Request) -> Response:
        return self._search(request, list(self.catalog.source_items.values()))

    def _save_source_items(self, request: Request) -> Response:
        items = (request.json() or {}).get("sourceItems") or []
        if self.settings["input_limits"] and len(items) > 20:
            raise SandboxError(400, f'Maximum items of type "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface" is 20, {len(items)} given')
        for item in items:
            if self.catalog.by_sku(item.get("sku", "")) is None or item.get("source_code") != SOURCE:
                raise SandboxError(400, "Could not save Source Item")
        for item in items:
            self.catalog.source_items[item["sku"]] = {"sku": item["sku"], "source_code": SOURCE, "quantity": Decimal(str(item["quantity"])),
                                                      "status": int(item.get("status", 1))}
        return _reply([])

    def _salable(self, request: Request) -> Response:
        sku = unquote(request.params["sku"])
        if self.catalog.by_sku(sku) is None or int(request.params["stock"]) != STOCK_ID:
            raise SandboxError(404, "The product that was requested doesn't exist. Verify the product and try again.")
        return _reply(self.catalog.salable(sku))

    # --- sales -----------------------------------------------------------------------------------
    def _orders(self, request: Request) -> Response:
        return self._search(request, list(self.sales.orders.values()))

    def _save_order(self, request: Request) -> Response:
        return _reply(self.sales.save_order((request.json() or {})["entity"]))

    def _order(self, request: Request) -> Response:
        return _reply(self.sales.order(request.params["id"]))

    def _comment(self, request: Request) -> Response:
        self.sales.comment(self.sales.order(request.params["id"]), (request.json() or {})["statusHistory"])
        return _reply(True)

    def _invoice(self, request: Request) -> Response:
        return _reply(self.sales.invoice(self.sales.order(request.params["id"])))

    def _refund(self, request: Request) -> Response:
        return _reply(self.sales.refund(self.sales.order(request.params["id"]), request.json() or {}))

    def _creditmemos(self, request: Request) -> Response:
        return self._search(request, list(self.sales.creditmemos.values()), view=lambda memo: {k: v for k, v in memo.items() if k != "comments"})

    def _memo(self, memo_id: str) -> dict:
        try:
            return self.sales.creditmemos[int(memo_id)]
        except (KeyError, ValueError):
            raise SandboxError(404, "The entity that was requested doesn't exist. Verify the entity and try again.") from None

    def _creditmemo(self, request: Request) -> Response:
        return _reply(self._memo(request.params["id"]))

    def _creditmemo_comments(self, request: Request) -> Response:
        comments = self._memo(request.params["id"])["comments"]
        return _reply({"items": comments, "search_criteria": {"filter_groups": []}, "total_count": len(comments)})

    def _shipments(self, request: Request) -> Response:
        return self._search(request, list(self.sales.shipments.values()))

    # --- control ---------------------------------------------------------------------------------
    def _control_settings(self, request: Request) -> Response:
        body = request.json() or {}
        unknown = set(body) - set(self.settings)
        if unknown:
            return json_response({"error": f"unknown settings: {sorted(unknown)}"}, 400)
        with self.lock:
            self.settings.update(body)
            self.catalog.prices_include_tax = bool(self.settings["catalog_prices_include_tax"])
        return json_response(self.settings)

    # --- the merchant-side conventions (StoreSandboxApp) -----------------------------------------
    def shop_facts(self, account: str | None = None) -> dict:
        return {"name": STORE_NAME, "currency": "DKK", "prices_include_tax": self.catalog.prices_include_tax}

    def demo_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {"base_url": base_url.rstrip("/") if base_url else HOST, "store_code": "default", "consumer_key": CONSUMER[0],
                "consumer_secret": CONSUMER[1], "access_token": TOKEN[0], "access_token_secret": TOKEN[1],
                "bearer": False, "catalog_prices_include_tax": self.catalog.prices_include_tax}

    def invalid_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {**self.demo_credentials(base_url, account), "access_token_secret": "not-the-token-secret"}

    def seed_products(self, items: list[dict], account: str | None = None) -> list[dict]:
        return self.catalog.seed(items)

    def stock_of(self, sku: str, account: str | None = None) -> int:
        """What the merchant sees as sellable: the salable quantity (source quantity plus reservations)."""
        with self.lock:
            if self.catalog.by_sku(sku) is None:
                raise SandboxError(404, f"no product with SKU {sku}")
            return self.catalog.salable(sku)

    def orders_summary(self, reference: str | None = None, account: str | None = None) -> list[dict]:
        return [
            {"id": str(o["entity_id"]), "reference": o.get("ext_order_id"),
             "note": "\n".join(h["comment"] for h in reversed(o["status_histories"]) if h.get("comment")),
             "lines": [{"sku": i["sku"], "quantity": int(i["qty_ordered"]), "unit_price": str(i["price_incl_tax"])} for i in o["items"]]}
            for o in self.sales.orders.values() if reference is None or o.get("ext_order_id") == reference
        ]

    def make_shipment(self, order_id: str, lines: list[dict], *, carrier: str, tracking_number: str,
                      tracking_url: str | None = None, account: str | None = None) -> str:
        """Ship from the admin with a 'Custom Value' carrier titled `carrier` (Magento tracks carry no URL)."""
        order = self.sales.order(order_id)
        picked = [(self._item(order, line["sku"]), int(line["quantity"])) for line in lines]
        track = {"track_number": tracking_number, "carrier_code": "custom", "title": carrier, "description": None}
        return str(self.sales.ship(order, picked, [track]))

    def make_refund(self, order_id: str, lines: list[dict], *, shipping_amount: str = "0", note: str = "",
                    account: str | None = None) -> str:
        """A credit memo from the admin ("Refund Offline"), without returning items to stock."""
        order = self.sales.order(order_id)
        items = [{"order_item_id": self._item(order, line["sku"])["item_id"], "qty": int(line["quantity"])} for line in lines]
        shipping = Decimal(shipping_amount)
        if not self.catalog.prices_include_tax:
            shipping = shipping * 100 / (100 + self.catalog.tax_rate)
        body = {"items": items, "appendComment": bool(note), "comment": {"comment": note} if note else {},
                "arguments": {"shipping_amount": shipping}}
        return str(self.sales.refund(order, body))

    def refunds_summary(self, order_id: str, account: str | None = None) -> list[dict]:
        order = self.sales.order(order_id)
        return [{"id": str(m["entity_id"]), "lines": [{"sku": i["sku"], "quantity": int(i["qty"])} for i in m["items"]]}
                for m in self.sales.creditmemos.values() if m["order_id"] == order["entity_id"]]

    def operation_of(self, request: httpx.Request) -> str | None:
        path = re.sub(r"^.*/rest/[^/]+", "", request.url.path)
        return next((name for method, pattern, name in OPERATIONS if request.method == method and re.fullmatch(pattern, path)), None)

    @staticmethod
    def _item(order: dict, sku: str) -> dict:
        for item in order["items"]:
            if item["sku"] == sku:
                return item
        raise SandboxError(400, f"order {order['entity_id']} has no item with SKU {sku}")


SANDBOX = Magento2Sandbox
