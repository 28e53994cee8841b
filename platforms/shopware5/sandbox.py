"""A Shopware 5 simulator: the REST subset the adapter uses, Digest and Basic auth, ACL privileges, `{success, data}` envelopes.

Faithful where the adapter depends on it: list filters (`filter[i][property|expression|value]`, arrays as IN),
`start`/`limit` with `total`, the order PUT whitelist, `changed` bumped on every order update, the variant batch
PUT, stock decremented by article number on order creation, and no refunds at all (status 20 is all there is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from koongo.sandbox_kit import DigestAuthority, Request, Response, SandboxError, StoreSandboxApp, basic_credentials, group_catalog
from platforms.markers import RefundNote
from platforms.shopware5.sandbox_shop import ZONE, Shop

USER, KEY = "koongo", "k00ng0Sh0pw4reApiKey7xQ2vLm9Rt3Wz"
PRIVILEGES = {"read", "create", "update", "delete"}
# API resource → the ACL resource Shopware checks (Resource::checkPrivilege uses the class name).
ACL = {
    "orders": "order",
    "customers": "customer",
    "variants": "variant",
    "articles": "article",
    "countries": "country",
    "shops": "shop",
    "customerGroups": "customergroup",
    "paymentMethods": "paymentmethods",
    "version": "version",
}
METHOD_PRIVILEGE = {"GET": "read", "POST": "create", "PUT": "update"}
OPERATIONS = {
    ("POST", "orders"): "order_create",
    ("GET", "orders"): "order_lookup",
    ("PUT", "variants"): "stock_write",
    ("GET", "variants"): "stock_read",
}


def _envelope(data, status: int = 200, **extra) -> Response:
    return Response(
        status, json.dumps({"success": True, "data": data, **extra}, default=str).encode(), {"Content-Type": "application/json"}
    )


class Shopware5Sandbox(StoreSandboxApp):
    code = "shopware5"
    name = "shopware5"

    def reset_state(self) -> None:
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.shop = Shop(lambda: self.clock())
        self.users = {USER: KEY}
        self.roles = {USER: {resource: set(PRIVILEGES) for resource in ACL.values()}}
        self.digest = DigestAuthority("Shopware REST-API", self.random)
        self.tax_input = True

    def grant(self, user: str, key: str, privileges: dict[str, set[str]]) -> None:
        """An API user whose role has exactly these privileges (ACL resource → privileges)."""
        self.users[user] = key
        self.roles[user] = privileges

    # --- routing, auth, envelopes ------------------------------------------------------------------
    def setup_routes(self) -> None:
        for method, pattern in (
            ("GET", "/api/{resource}"),
            ("POST", "/api/{resource}"),
            ("PUT", "/api/{resource}"),
            ("GET", "/api/{resource}/{id}"),
            ("PUT", "/api/{resource}/{id}"),
        ):
            self.router.add(method, pattern, self._dispatch)

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, json.dumps({"success": False, "message": message}).encode(), {"Content-Type": "application/json"})

    def _dispatch(self, request: Request) -> Response:
        resource, object_id = request.params["resource"], request.params.get("id")
        with self.lock:
            user = self.digest.verify(request, self.users.get)
            basic = basic_credentials(request)
            if user is None and basic and self.users.get(basic[0]) == basic[1]:
                user = basic[0]
            if user is None:
                response = self.error_response(401, "Invalid or missing auth")
                response.headers["WWW-Authenticate"] = self.digest.challenge()
                return response
            if resource not in ACL:
                raise SandboxError(404, f"Controller '{resource}' not found")
            privilege = METHOD_PRIVILEGE[request.method]
            if privilege not in self.roles[user].get(ACL[resource], set()):
                return self.error_response(403, f'Role "{user}" is not allowed to "{privilege}" on resource "{ACL[resource]}"')
            handler = getattr(self, f"_{request.method.lower()}_{resource}{'_one' if object_id else ''}", None)
            if handler is None:
                raise SandboxError(405, f"{request.method} is not supported on {resource}")
            return handler(request, object_id) if object_id else handler(request)

    @staticmethod
    def _conditions(request: Request) -> dict[int, dict]:
        """`filter[i][property]`, `[expression]`, `[value]` and `[value][]` grouped by index."""
        found: dict[int, dict] = {}
        for key, value in request.query:
            match = re.fullmatch(r"filter\[(\d+)\]\[(property|expression|value)\](\[\])?", key)
            if match:
                entry = found.setdefault(int(match[1]), {})
                if match[3]:
                    entry.setdefault("value", []).append(value)
                else:
                    entry[match[2]] = value
        return found

    def _filtered(self, request: Request, rows: list[dict]) -> Response:
        for condition in self._conditions(request).values():
            name, value, expression = condition.get("property", ""), condition.get("value"), condition.get("expression")
            rows = [row for row in rows if _matches(row.get(name), value, expression)]
        rows.sort(key=lambda row: row.get("id", 0), reverse=request.arg("sort[0][direction]", "ASC") == "DESC")
        start, limit = int(request.arg("start", "0")), int(request.arg("limit", "1000"))
        return _envelope(rows[start : start + limit], total=len(rows))

    # --- resources -----------------------------------------------------------------------------------
    def _get_version(self, request: Request) -> Response:
        return _envelope({"version": "5.7.19", "revision": "202405061050"})

    def _get_shops_one(self, request: Request, shop_id: str) -> Response:
        if shop_id != "1":
            raise SandboxError(404, f"Shop by id {shop_id} not found")
        return _envelope(
            {
                "id": 1,
                "mainId": None,
                "name": "Koongo Demo Shopware",
                "host": "shopware5.koongo.test",
                "default": True,
                "currency": {"id": 1, "currency": "DKK", "name": "Dansk krone", "factor": 1, "symbol": "kr."},
            }
        )

    def _get_customerGroups(self, request: Request) -> Response:
        return self._filtered(
            request,
            [{"id": 1, "key": "EK", "name": "Shopkunden", "tax": True, "taxInput": self.tax_input, "mode": False, "discount": 0}],
        )

    def _get_paymentMethods_one(self, request: Request, payment_id: str) -> Response:
        if int(payment_id) not in self.shop.payments:
            raise SandboxError(404, f"Payment by id {payment_id} not found")
        return _envelope(self.shop.payments[int(payment_id)])

    def _get_countries(self, request: Request) -> Response:
        return self._filtered(request, [{"id": cid, "iso": iso, "name": iso} for cid, iso in self.shop.countries.items()])

    def _get_customers(self, request: Request) -> Response:
        return self._filtered(request, list(self.shop.customers.values()))

    def _post_customers(self, request: Request) -> Response:
        customer = self.shop.create_customer(request.json() or {})
        return _envelope({"id": customer["id"], "location": f"https://{request.host}/api/customers/{customer['id']}"}, 201)

    def _get_variants(self, request: Request) -> Response:
        tax_input = request.arg("considerTaxInput") == "1" and self.tax_input
        return self._filtered(request, [self.shop.variant_view(v, tax_input) for v in self.shop.variants.values()])

    def _put_variants(self, request: Request) -> Response:
        """Batch mode (no id in the URL): each item updated on its own, its success reported in the same order."""
        results = []
        for item in request.json() or []:
            variant = self.shop.variants.get(int(item.get("id") or 0))
            if variant is None or "inStock" not in item or int(item["inStock"]) < -1000:
                results.append({"success": False, "message": f"Variant by id {item.get('id')} not found or invalid"})
                continue
            variant["inStock"] = int(item["inStock"])
            results.append(
                {
                    "success": True,
                    "operation": "update",
                    "data": {"id": variant["id"], "location": f"https://{request.host}/api/variants/{variant['id']}"},
                }
            )
        return _envelope(results)

    def _get_articles(self, request: Request) -> Response:
        # The list holds the article and its main detail only; variants and options need GET /api/articles/{id}.
        rows = []
        for article in self.shop.articles.values():
            view = self.shop.article_view(article, self.tax_input)
            rows.append({key: view[key] for key in ("id", "name", "active", "taxId", "mainDetail")})
        return self._filtered(request, rows)

    def _get_articles_one(self, request: Request, article_id: str) -> Response:
        article = self.shop.articles.get(int(article_id))
        if article is None:
            raise SandboxError(404, f"Article by id {article_id} not found")
        return _envelope(self.shop.article_view(article, self.tax_input))

    def _get_orders(self, request: Request) -> Response:
        return self._filtered(request, [self.shop.order_view(order, full=False) for order in self.shop.orders.values()])

    def _get_orders_one(self, request: Request, order_id: str) -> Response:
        return _envelope(self.shop.order_view(self.shop.order(int(order_id)), full=True))

    def _post_orders(self, request: Request) -> Response:
        order = self.shop.create_order(request.json() or {})
        return _envelope({"id": order["id"], "location": f"https://{request.host}/api/orders/{order['id']}"}, 201)

    def _put_orders_one(self, request: Request, order_id: str) -> Response:
        order = self.shop.update_order(int(order_id), request.json() or {})
        return _envelope({"id": order["id"], "location": f"https://{request.host}/api/orders/{order['id']}"})

    # --- merchant-side conventions (StoreSandboxApp) -------------------------------------------------
    def shop_facts(self, account: str | None = None) -> dict:
        return {"name": "Koongo Demo Shopware", "currency": "DKK", "prices_include_tax": self.tax_input}

    def demo_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {
            "shop_url": base_url or "https://shopware5.koongo.test",
            "username": USER,
            "api_key": KEY,
            "payment_id": 5,
            "dispatch_id": 9,
        }

    def invalid_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {**self.demo_credentials(base_url), "api_key": "not-the-key"}

    def seed_products(self, items: list[dict], account: str | None = None) -> list[dict]:
        return self.shop.seed(group_catalog(items))

    def stock_of(self, sku: str, account: str | None = None) -> int:
        return self.shop.variant_by_number(sku)["inStock"]

    def orders_summary(self, reference: str | None = None, account: str | None = None) -> list[dict]:
        return [
            {
                "id": str(order["id"]),
                "reference": order["transactionId"] or None,
                "note": order["internalComment"],
                "payment_status": order["paymentStatusId"],
                "lines": [
                    {"sku": d["articleNumber"], "quantity": d["quantity"], "unit_price": str(d["price"])}
                    for d in order["details"]
                ],
            }
            for order in self.shop.orders.values()
            if reference is None or order["transactionId"] == reference
        ]

    def make_shipment(
        self,
        order_id: str,
        lines: list[dict],
        *,
        carrier: str,
        tracking_number: str,
        tracking_url: str | None = None,
        account: str | None = None,
    ) -> str:
        """The backend's order detail: dispatch, tracking code and "completely delivered"; positions are not shipped singly."""
        # Shopware's default dispatches keep a whole anchor tag as the status link.
        href = tracking_url.replace(tracking_number, "{$offerPosition.trackingcode}") if tracking_url else ""
        template = f'<a href="{href}" target="_blank">{{$offerPosition.trackingcode}}</a>' if href else ""
        dispatch = self.shop.dispatch_named(carrier, template)
        order = self.shop.order(int(order_id))
        order["dispatchId"] = dispatch
        self.shop.update_order(int(order_id), {"trackingCode": tracking_number, "orderStatusId": 7})
        return str(order["id"])

    def make_refund(
        self, order_id: str, lines: list[dict], *, shipping_amount: str = "0", note: str = "", account: str | None = None
    ) -> str:
        """All the backend can do: set the payment status to re-crediting (the lines are nowhere recorded)."""
        self.shop.update_order(int(order_id), {"paymentStatusId": 20})
        return f"{order_id}/store"

    def refunds_summary(self, order_id: str, account: str | None = None) -> list[dict]:
        """What the order shows of refunds: the marker lines in its internal comment, or a bare status 20."""
        order = self.shop.order(int(order_id))
        notes = RefundNote.parse_all(order["internalComment"])
        found = [
            {
                "id": f"{order_id}/{n.key if n.kind == 'refund' else 'store'}",
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in n.lines],
            }
            for n in notes
        ]
        if not found and order["paymentStatusId"] == 20:
            found = [{"id": f"{order_id}/store", "lines": []}]
        return found

    def operation_of(self, request: httpx.Request) -> str | None:
        if "authorization" not in request.headers:
            return None  # the Digest challenge round trip applies nothing
        parts = request.url.path.split("/api/", 1)[-1].split("/")
        if request.method == "PUT" and parts[0] == "orders" and len(parts) > 1:
            return "refund_create" if "paymentStatusId" in json.loads(request.content or b"{}") else "note_write"
        return OPERATIONS.get((request.method, parts[0])) if len(parts) == 1 else None


def _matches(field, value, expression: str | None) -> bool:
    """One filter condition as Doctrine would apply it: arrays are IN, dates compare in the shop's time zone."""
    if isinstance(value, list):
        return str(field).lower() in {str(v).lower() for v in value}
    if expression in (">=", "<=", ">", "<"):
        if isinstance(field, str) and "T" in field:
            left = datetime.strptime(field, "%Y-%m-%dT%H:%M:%S%z")
            right = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZONE)
        else:
            left, right = float(field or 0), float(value)
        return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right}[expression]
    if expression == "LIKE":
        return re.fullmatch(str(value).replace("%", ".*"), str(field), re.IGNORECASE) is not None
    return str(field).lower() == str(value).lower()


SANDBOX = Shopware5Sandbox
