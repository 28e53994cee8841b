"""A Shopify simulator: the GraphQL Admin subset the adapter uses, the OAuth install endpoints, cost throttling and webhooks.

Requests are routed by operation and root field name, never by query text. Shops are addressed by host
(https://acme.myshopify.com/admin/...) in-process, or by path (/acme.myshopify.com/admin/...) behind the demo's
prefix mount. Extra control: POST /_sandbox/shops, POST /_sandbox/settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import threading
import time
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import httpx

from koongo.sandbox_kit import LeakyBucket, Request, Response, SandboxError, StoreSandboxApp, json_response
from platforms.shopify.graphql import GraphQLSyntaxError, arguments, parse, resolve
from platforms.shopify.sandbox_graphql import FieldError, actual_cost, connection, matches, project, requested_cost
from platforms.shopify.sandbox_schema import schema_errors
from platforms.shopify.sandbox_shop import Shop, gid, number

DEMO_SHOP = "koongo-demo.myshopify.com"
DEMO_TOKEN = "shpat_koongo_demo_token"
# The app registered by default matches the settings defaults (SHOPIFY_CLIENT_ID / SHOPIFY_CLIENT_SECRET).
DEFAULT_APP = ("koongo-dev-app", "koongo-dev-app-secret")
ALL_SCOPES = frozenset(
    {"write_orders", "read_orders", "read_all_orders", "read_products", "write_inventory", "read_inventory", "read_locations"}
)
IDEMPOTENCY_REQUIRED_FROM = "2026-04"
CHANGE_FROM_REQUIRED_FROM = "2026-07"
MAX_QUERY_COST = 1000  # Shopify refuses any single query estimated above this
# Root field → the protocol operation it performs, for tests that script faults per operation.
OPERATIONS = {
    "orderCreate": "order_create",
    "orders": "order_lookup",
    "orderUpdate": "note_write",
    "inventoryAdjustQuantities": "stock_write",
    "refundCreate": "refund_create",
    "productVariants": "catalog_read",
}
# The scope each root field needs; write_x grants read_x.
SCOPES = {
    "productVariants": "read_products",
    "metafieldDefinitions": "read_products",
    "orders": "read_orders",
    "order": "read_orders",
    "locations": "read_locations",
    "orderCreate": "write_orders",
    "orderUpdate": "write_orders",
    "refundCreate": "write_orders",
    "inventoryAdjustQuantities": "write_inventory",
}
TOPICS = {"REFUNDS_CREATE": "refunds/create", "ORDERS_UPDATED": "orders/updated"}


def _granted(scopes: frozenset[str], needed: str) -> bool:
    return needed in scopes or needed.replace("read_", "write_") in scopes


def _error(message: str, code: str, **extensions) -> dict:
    return {"message": message, "extensions": {"code": code, **extensions}}


class ShopifySandbox(StoreSandboxApp):
    code = "shopify"
    name = "shopify"

    # --- state -----------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.ids = itertools.count(1001)
        self.apps: dict[str, str] = {DEFAULT_APP[0]: DEFAULT_APP[1]}
        self.shops: dict[str, Shop] = {}
        self.grants: dict[str, dict] = {}
        self.deliveries: list[dict] = []
        self.settings = {"throttle_status": 200, "capacity": 2000.0, "restore_rate": 100.0, "deliver_webhooks": False}
        self.add_shop(DEMO_SHOP, name="Koongo Demo Store", token=DEMO_TOKEN, client_id=DEFAULT_APP[0])

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    def add_shop(
        self,
        domain: str,
        *,
        name: str | None = None,
        token: str | None = None,
        scopes=ALL_SCOPES,
        client_id: str | None = None,
        currency: str = "DKK",
        taxes_included: bool = True,
    ) -> Shop:
        shop = Shop(
            domain,
            name or domain.split(".")[0].replace("-", " ").title(),
            lambda: next(self.ids),
            self.now,
            LeakyBucket(self.settings["capacity"], self.settings["restore_rate"]),
            currency,
            taxes_included,
            installed_by=client_id,
        )
        if token:
            shop.tokens[token] = frozenset(scopes)
        self.shops[domain] = shop
        return shop

    def shop(self, account: str | None = None) -> Shop:
        domain = account or DEMO_SHOP
        if domain not in self.shops:
            raise SandboxError(404, f"no shop {domain}")
        return self.shops[domain]

    # --- routes ----------------------------------------------------------------------------------
    def setup_routes(self) -> None:
        for prefix in ("", "/{shop}"):
            self.router.add("POST", prefix + "/admin/api/{version}/graphql.json", self._graphql)
            self.router.add("GET", prefix + "/admin/oauth/authorize", self._authorize)
            self.router.add("POST", prefix + "/admin/oauth/access_token", self._access_token)
        self.router.add("POST", "/_sandbox/shops", self._control_shop)
        self.router.add("POST", "/_sandbox/settings", self._control_settings)

    def error_response(self, status: int, message: str) -> Response:
        return json_response({"errors": message}, status)

    def throttle_response(self, retry_after: int) -> Response:
        # An injected throttle reports the cost that makes the client's computed wait equal `retry_after`.
        restore = self.settings["restore_rate"]
        return self._throttled(retry_after * restore, 0.0, retry_after)

    def _throttled(self, requested: float, available: float, wait: float) -> Response:
        body = {
            "errors": [_error("Throttled", "THROTTLED", documentation="https://shopify.dev/api/usage/rate-limits")],
            "extensions": {"cost": self._cost(requested, None, available)},
        }
        status = self.settings["throttle_status"]
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if status == 429 else {}
        return json_response(body, status, headers)

    def _cost(self, requested: float, actual: float | None, available: float) -> dict:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": self.settings["capacity"],
                "currentlyAvailable": available,
                "restoreRate": self.settings["restore_rate"],
            },
        }

    def _request_shop(self, request: Request) -> Shop | None:
        return self.shops.get(request.params.get("shop") or request.host)

    # --- GraphQL ---------------------------------------------------------------------------------
    def _graphql(self, request: Request) -> Response:
        with self.lock:
            shop = self._request_shop(request)
            if shop is None:
                return json_response({"errors": "Not Found"}, 404)
            scopes = shop.tokens.get(request.header("x-shopify-access-token"))
            if scopes is None:
                return json_response(
                    {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, 401
                )
            body = request.json() or {}
            variables = body.get("variables") or {}
            try:
                operation = parse(body.get("query") or "", body.get("operationName"))
            except GraphQLSyntaxError as error:
                return json_response({"errors": [_error(str(error), "PARSE_ERROR")]})
            # Shopify validates the document and coerces the variables before it costs or runs anything.
            invalid = schema_errors(body.get("query") or "", variables, body.get("operationName"))
            if invalid:
                return json_response({"errors": invalid})
            mutation = operation.kind == "mutation"
            requested = requested_cost(operation.selections, variables, mutation=mutation)
            if requested > MAX_QUERY_COST:
                message = f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
                return json_response({"errors": [_error(message, "MAX_COST_EXCEEDED", cost=requested, maxCost=MAX_QUERY_COST)]})
            if not shop.bucket.admits(requested):
                available = shop.bucket.available()
                return self._throttled(requested, available, (requested - available) / self.settings["restore_rate"])
            data, errors = {}, []
            for selection in operation.selections:
                try:
                    data[selection.key] = self._resolve(shop, scopes, request.params["version"], selection, variables, mutation)
                except _FieldRefused as refused:
                    data[selection.key] = None
                    errors.append(refused.error)
                except FieldError as error:
                    return json_response({"errors": [_error(str(error), "undefinedField")]})
            actual = actual_cost(data)
            shop.bucket.take(actual)
            payload = {"data": data, "extensions": {"cost": self._cost(requested, actual, shop.bucket.available())}}
            if errors:
                payload["errors"] = errors
            return json_response(payload)

    def _resolve(self, shop: Shop, scopes: frozenset[str], version: str, selection, variables: dict, mutation: bool):
        name = selection.name
        resolver = getattr(self, f"_{'mutation' if mutation else 'query'}_{name}", None)
        if resolver is None:
            raise FieldError(f"Field '{name}' doesn't exist on type '{'Mutation' if mutation else 'QueryRoot'}'")
        needed = SCOPES.get(name)
        if needed and not _granted(scopes, needed):
            raise _FieldRefused(
                _error(
                    f"Access denied for {name} field. Required access: `{needed}` access scope.",
                    "ACCESS_DENIED",
                    documentation="https://shopify.dev/api/usage/access-scopes",
                    requiredAccess=f"`{needed}` access scope.",
                )
            )
        args = arguments(selection, variables)
        if not mutation:
            value = resolver(shop, args, scopes)
        else:
            value = self._mutate(shop, version, selection, variables, lambda: resolver(shop, args, version))
        return project(value, selection.selections, variables)

    def _mutate(self, shop: Shop, version: str, selection, variables: dict, run):
        directive = selection.directive("idempotent")
        key = resolve(directive.arguments.get("key"), variables) if directive else None
        if selection.name in ("inventoryAdjustQuantities", "refundCreate"):
            if key is None and version >= IDEMPOTENCY_REQUIRED_FROM:
                raise _FieldRefused(_error("The @idempotent directive is required for this mutation.", "BAD_REQUEST"))
            if key is not None and (selection.name, key) in shop.idempotency:
                return shop.idempotency[(selection.name, key)]
        try:
            value = run()
        except SandboxError as error:
            value = {"userErrors": [{"field": None, "message": error.message, "code": "INVALID"}]}
        if key is not None and not value.get("userErrors"):
            shop.idempotency[(selection.name, key)] = value
        return value

    # queries ---------------------------------------------------------------------------------------
    def _query_shop(self, shop: Shop, args: dict, scopes) -> dict:
        return shop.shop_view()

    def _query_currentAppInstallation(self, shop: Shop, args: dict, scopes) -> dict:
        return {"accessScopes": [{"handle": scope} for scope in sorted(scopes)]}

    def _query_productVariants(self, shop: Shop, args: dict, scopes) -> dict:
        found = [
            shop.variant_view(v)
            for v in shop.all_variants()
            if matches(args.get("query"), {"sku": v.sku, "barcode": v.barcode, "id": v.id, "product_id": v.product_id})
        ]
        return connection(found, args)

    def _query_metafieldDefinitions(self, shop: Shop, args: dict, scopes) -> dict:
        return connection([d for d in shop.metafield_definitions if d["ownerType"] == args.get("ownerType")], args)

    def _query_orders(self, shop: Shop, args: dict, scopes) -> dict:
        by_update = args.get("sortKey") == "UPDATED_AT"
        orders = sorted(shop.orders.values(), key=lambda o: (o.updated_at, o.id) if by_update else (o.id,))
        return connection([shop.order_view(o) for o in orders if matches(args.get("query"), _order_search_fields(o))], args)

    def _query_order(self, shop: Shop, args: dict, scopes) -> dict | None:
        found = shop.orders.get(number(args.get("id"), "Order"))
        return shop.order_view(found) if found else None

    def _query_locations(self, shop: Shop, args: dict, scopes) -> dict:
        return connection([{"id": gid("Location", loc), "name": "Shop location"} for loc in shop.locations], args)

    def _query_webhookSubscriptions(self, shop: Shop, args: dict, scopes) -> dict:
        return connection(shop.webhooks, args)

    # mutations -------------------------------------------------------------------------------------
    def _mutation_orderCreate(self, shop: Shop, args: dict, version: str) -> dict:
        order = shop.create_order(args["order"], args.get("options") or {})
        return {"order": shop.order_view(order), "userErrors": []}

    def _mutation_orderUpdate(self, shop: Shop, args: dict, version: str) -> dict:
        data = args["input"]
        order = shop.order(data["id"])
        if "note" in data:
            order.note = data["note"]  # overwrites, as Shopify's orderUpdate does
        order.updated_at = self.now()
        return {"order": shop.order_view(order), "userErrors": []}

    def _mutation_inventoryAdjustQuantities(self, shop: Shop, args: dict, version: str) -> dict:
        data = args["input"]
        if data.get("name") != "available":
            raise SandboxError(422, "Only the available quantity can be adjusted here")
        changes = []
        for change in data.get("changes") or []:
            item, location = number(change["inventoryItemId"], "InventoryItem"), number(change["locationId"], "Location")
            if version >= CHANGE_FROM_REQUIRED_FROM and "changeFromQuantity" not in change:
                raise SandboxError(422, "changeFromQuantity must be provided, even if null")
            expected = change.get("changeFromQuantity")
            if expected is not None and shop.inventory.get((item, location)) != expected:
                raise SandboxError(422, "The quantity changed since it was read (CHANGE_FROM_QUANTITY_STALE)")
            after = shop.adjust(item, location, int(change["delta"]))
            changes.append(
                {
                    "name": "available",
                    "delta": int(change["delta"]),
                    "quantityAfterChange": after,
                    "item": {"id": change["inventoryItemId"]},
                    "location": {"id": change["locationId"]},
                }
            )
        group = {
            "id": gid("InventoryAdjustmentGroup", next(self.ids)),
            "createdAt": self.now(),
            "reason": data.get("reason"),
            "referenceDocumentUri": data.get("referenceDocumentUri"),
            "changes": changes,
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _mutation_refundCreate(self, shop: Shop, args: dict, version: str) -> dict:
        data = args["input"]
        order = shop.order(data["orderId"])
        shipping = Decimal(str((data.get("shipping") or {}).get("amount") or "0"))
        refund = shop.refund(order, data.get("refundLineItems") or [], shipping, data.get("note"), data.get("transactions") or [])
        self._record_refund_webhooks(shop, order, refund)
        return {"refund": shop.refund_view(order, refund), "order": shop.order_view(order), "userErrors": []}

    def _mutation_webhookSubscriptionCreate(self, shop: Shop, args: dict, version: str) -> dict:
        topic, uri = args["topic"], (args.get("webhookSubscription") or {}).get("uri")
        if topic not in TOPICS:
            raise SandboxError(422, f"Topic {topic} is not supported by this simulator")
        if any(s["topic"] == topic and s["uri"] == uri for s in shop.webhooks):
            raise SandboxError(422, "Address for this topic has already been taken")
        subscription = {"id": gid("WebhookSubscription", next(self.ids)), "topic": topic, "uri": uri, "format": "JSON"}
        shop.webhooks.append(subscription)
        return {"webhookSubscription": subscription, "userErrors": []}

    # --- OAuth install ---------------------------------------------------------------------------
    def _authorize(self, request: Request) -> Response:
        """The merchant approves at once: redirect to the app with a signed code, creating the shop if it is new."""
        domain = request.params.get("shop") or request.host
        client_id = request.arg("client_id")
        with self.lock:
            if client_id not in self.apps:
                return json_response({"errors": "Oauth error invalid_request: The client_id is not valid"}, 400)
            if domain not in self.shops:
                self.add_shop(domain)
            code = base64.b32encode(self.random.randbytes(10)).decode().lower()
            scopes = [s for s in (request.arg("scope") or "").split(",") if s]
            self.grants[code] = {"shop": domain, "client_id": client_id, "scopes": scopes}
        params = {
            "code": code,
            "host": base64.b64encode(f"admin.shopify.com/store/{domain.split('.')[0]}".encode()).decode(),
            "shop": domain,
            "state": request.arg("state", ""),
            "timestamp": str(int(time.time())),
        }
        # Shopify signs the query string exactly as it sends it (sorted, form-encoded), then appends the hmac.
        query = urlencode(sorted(params.items()))
        signature = hmac.new(self.apps[client_id].encode(), query.encode(), hashlib.sha256).hexdigest()
        return Response(302, b"", {"Location": f"{request.arg('redirect_uri')}?{query}&hmac={signature}"})

    def _access_token(self, request: Request) -> Response:
        is_json = request.header("content-type").startswith("application/json")
        body = request.json() if is_json else dict(parse_qsl(request.body.decode()))
        with self.lock:
            grant = self.grants.get(body.get("code", ""))
            domain = request.params.get("shop") or request.host
            if (
                grant is None
                or grant["shop"] != domain
                or grant["client_id"] != body.get("client_id")
                or self.apps.get(body.get("client_id")) != body.get("client_secret")
            ):
                return json_response(
                    {"error": "invalid_request", "error_description": "The authorization code was not found or was already used"},
                    400,
                )
            del self.grants[body["code"]]  # a code is good for one exchange
            shop = self.shops[domain]
            token = "shpat_" + self.random.randbytes(16).hex()
            shop.tokens[token] = frozenset(grant["scopes"])
            shop.installed_by = grant["client_id"]
        return json_response({"access_token": token, "scope": ",".join(grant["scopes"])})

    # --- webhooks --------------------------------------------------------------------------------
    def _record(self, shop: Shop, topic: str, kind: str, payload: dict) -> None:
        body = json.dumps(payload)
        secret = self.apps.get(shop.installed_by or "", "")
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": TOPICS[topic],
            "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()).decode(),
            "X-Shopify-Shop-Domain": shop.domain,
            "X-Shopify-Webhook-Id": str(self.random.getrandbits(64)),
            "X-Shopify-Event-Id": str(self.random.getrandbits(64)),
            "X-Shopify-API-Version": IDEMPOTENCY_REQUIRED_FROM,
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        }
        uris = [s["uri"] for s in shop.webhooks if s["topic"] == topic]
        self.deliveries.append(
            {"kind": kind, "topic": TOPICS[topic], "shop": shop.domain, "headers": headers, "body": body, "uris": uris}
        )
        if self.settings["deliver_webhooks"]:
            for uri in uris:
                threading.Thread(target=_post_quietly, args=(uri, body.encode(), headers), daemon=True).start()

    def _record_refund_webhooks(self, shop: Shop, order, refund) -> None:
        self._record(shop, "REFUNDS_CREATE", "refund_created", shop.refund_payload(order, refund))
        self._record(shop, "ORDERS_UPDATED", "order_updated", shop.order_payload(order))

    def webhook_deliveries(self) -> list[dict]:
        return list(self.deliveries)

    # --- control: shops and settings -------------------------------------------------------------
    def _control_shop(self, request: Request) -> Response:
        body = request.json() or {}
        with self.lock:
            shop = self.add_shop(
                body["shop"],
                name=body.get("name"),
                token=body.get("access_token"),
                scopes=frozenset(body.get("scopes") or ALL_SCOPES),
                client_id=body.get("client_id", DEFAULT_APP[0]),
                currency=body.get("currency", "DKK"),
                taxes_included=body.get("taxes_included", True),
            )
        return json_response({"shop": shop.domain}, 201)

    def _control_settings(self, request: Request) -> Response:
        body = request.json() or {}
        unknown = set(body) - set(self.settings)
        if unknown:
            return json_response({"error": f"unknown settings: {sorted(unknown)}"}, 400)
        with self.lock:
            self.settings.update(body)
            for shop in self.shops.values():
                shop.bucket = LeakyBucket(self.settings["capacity"], self.settings["restore_rate"])
        return json_response(self.settings)

    # --- the merchant-side conventions (StoreSandboxApp) -----------------------------------------
    def shop_facts(self, account: str | None = None) -> dict:
        shop = self.shop(account)
        return {"name": shop.name, "currency": shop.currency, "prices_include_tax": shop.taxes_included}

    def demo_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        shop = self.shop(account)
        token = next(iter(shop.tokens), None)
        return {
            "shop_domain": shop.domain,
            "access_token": token,
            "scopes": sorted(shop.tokens.get(token, ())),
            "base_url": f"{base_url.rstrip('/')}/{shop.domain}" if base_url else None,
            "app_client_secrets": [self.apps.get(shop.installed_by or "", "")],
        }

    def invalid_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {**self.demo_credentials(base_url, account), "access_token": "shpat_not_a_valid_token"}

    def seed_products(self, items: list[dict], account: str | None = None) -> list[dict]:
        return self.shop(account).seed(items)

    def stock_of(self, sku: str, account: str | None = None) -> int:
        shop = self.shop(account)
        return shop.available(shop.variant_by_sku(sku))

    def orders_summary(self, reference: str | None = None, account: str | None = None) -> list[dict]:
        return [
            {
                "id": gid("Order", o.id),
                "reference": o.source_identifier,
                "note": o.note or "",
                "lines": [{"sku": line.sku, "quantity": line.quantity, "unit_price": str(line.price)} for line in o.lines],
            }
            for o in self.shop(account).orders.values()
            if reference is None or o.source_identifier == reference
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
        shop = self.shop(account)
        order = shop.order(order_id)
        picked = [(self._line_by_sku(order, line["sku"]).id, int(line["quantity"])) for line in lines]
        fulfillment = shop.fulfil(order, picked, [{"company": carrier, "number": tracking_number, "url": tracking_url}])
        self._record(shop, "ORDERS_UPDATED", "order_updated", shop.order_payload(order))
        return gid("Fulfillment", fulfillment.id)

    def make_refund(
        self, order_id: str, lines: list[dict], *, shipping_amount: str = "0", note: str = "", account: str | None = None
    ) -> str:
        """A refund from the Shopify admin: restocked as a return, its money through the order's own gateway."""
        shop = self.shop(account)
        order = shop.order(order_id)
        items = [
            {"lineItemId": gid("LineItem", self._line_by_sku(order, line["sku"]).id), "quantity": int(line["quantity"])}
            for line in lines
        ]
        shipping = Decimal(str(shipping_amount))
        suggestion = shop.suggest_refund(order, items, shipping)
        transactions = [
            {
                "parentId": t["parentTransaction"]["id"],
                "gateway": t["gateway"],
                "amount": str(t["amountSet"]["shopMoney"]["amount"]),
            }
            for t in suggestion["suggestedTransactions"]
        ]
        location = gid("Location", shop.locations[0])
        refund = shop.refund(
            order,
            [{**item, "restockType": "RETURN", "locationId": location} for item in items],
            shipping,
            note or None,
            transactions,
        )
        self._record_refund_webhooks(shop, order, refund)
        return gid("Refund", refund.id)

    def refunds_summary(self, order_id: str, account: str | None = None) -> list[dict]:
        order = self.shop(account).order(order_id)
        return [
            {"id": gid("Refund", r.id), "lines": [{"sku": order.line(i.line_id).sku, "quantity": i.quantity} for i in r.items]}
            for r in order.refunds
        ]

    def operation_of(self, request: httpx.Request) -> str | None:
        if not request.url.path.endswith("/graphql.json"):
            return None
        body = json.loads(request.content or b"{}")
        operation = parse(body.get("query", ""), body.get("operationName"))
        return next((OPERATIONS[field] for field in operation.fields if field in OPERATIONS), None)

    @staticmethod
    def _line_by_sku(order, sku: str):
        for line in order.lines:
            if line.sku == sku:
                return line
        raise SandboxError(400, f"order {order.id} has no line with SKU {sku}")


def _order_search_fields(order) -> dict:
    """The fields the orders search query may filter on."""
    return {
        "source_identifier": order.source_identifier,
        "updated_at": order.updated_at,
        "created_at": order.created_at,
        "name": order.name,
    }


class _FieldRefused(Exception):
    """A root field answered with an error entry (access denied, missing directive) instead of data."""

    def __init__(self, error: dict):
        super().__init__(error["message"])
        self.error = error


def _post_quietly(uri: str, body: bytes, headers: dict) -> None:
    """Deliver a webhook to a subscribed URI in the demo; failures are the receiver's to notice, as with Shopify."""
    try:
        urllib.request.urlopen(urllib.request.Request(uri, data=body, headers=headers, method="POST"), timeout=5)  # noqa: S310
    except OSError:
        pass


SANDBOX = ShopifySandbox
