"""A PrestaShop simulator: the webservice subset the adapter uses, stateful, XML in and JSON or XML out.

Orders go through a `validateOrder` look-alike: cart prices with cart-scoped specific prices, the carrier from the
cart's `delivery_option` (else PS_CARRIER_DEFAULT; `id_carrier` is not read) and its shipping price, the total check
(`total_paid` ≠ cart total incl. shipping → PS_OS_ERROR) and the stock decrement, which the error state skips
(`OrderDetail::checkProductStock`). A later move from error/canceled to a logable state takes the stock then
(`OrderHistory::changeIdOrderState`). Carriers not `is_free` charge `carrier_prices[id]` (gross), standing in for the
zone/range price table. Slips, histories and messages are plain records, as they are in PrestaShop. Times are shop-local
(Europe/Copenhagen). The merchant-side control routes are the toolkit's (`/_sandbox/products`, `/_sandbox/shipments`,
`/_sandbox/refunds`, ...); tests also call `add_key()` to make a key with fewer permissions.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import httpx

from koongo.sandbox_kit import Request, Response, StoreSandboxApp, basic_credentials, group_catalog
from platforms.prestashop import sandbox_webservice as ws
from platforms.prestashop.sandbox_catalog import seed
from platforms.prestashop.sandbox_tables import LOGABLE, RESOURCES, STATES
from platforms.prestashop.schemas import order_reference

DEMO_KEY = "KOONGODEMOKEY0PRESTASHOP00000001"
OTHER_KEY = "WRONGKEY000000000000000000000000"
ZONE = ZoneInfo("Europe/Copenhagen")
VERSION = "8.1.7"
CENT = Decimal("0.01")
INSTALLED_PAYMENT_MODULES = {"miinto", "ps_wirepayment", "ps_checkpayment"}
# The operation each (method, resource) performs, for tests that script timeouts per operation.
OPERATIONS = {
    ("POST", "orders"): "order_create",
    ("GET", "addresses"): "order_lookup",
    ("POST", "customer_messages"): "note_write",
    ("PUT", "stock_availables"): "stock_write",
    ("GET", "stock_availables"): "stock_read",
    ("POST", "order_slip"): "refund_create",
}
WWW_AUTHENTICATE = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required."'
)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


class PrestaShopSandbox(StoreSandboxApp):
    code = "prestashop"
    name = "prestashop"

    # --- state -------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.tables = {name: ws.Table(resource) for name, resource in RESOURCES.items()}
        self.keys: dict[str, dict[str, set[str]]] = {DEMO_KEY: {name: set(r.methods) for name, r in RESOURCES.items()}}
        self.shop_name = "Koongo Demo PrestaShop"
        t = self.tables
        for name, value in {
            "PS_CURRENCY_DEFAULT": 1,
            "PS_LANG_DEFAULT": 1,
            "PS_TIMEZONE": "Europe/Copenhagen",
            "PS_COUNTRY_DEFAULT": 1,
            "PS_CARRIER_DEFAULT": 1,
            "PS_OS_REFUND": 7,
            "PS_OS_WS_PAYMENT": 2,
            "PS_OS_ERROR": 8,
            "PS_OS_CANCELED": 6,
        }.items():
            t["configurations"].insert({"name": name, "value": value}, self.stamp())
        t["currencies"].insert({"iso_code": "DKK", "name": "Danish krone", "conversion_rate": "1.000000", "active": 1})
        t["currencies"].insert({"iso_code": "EUR", "name": "Euro", "conversion_rate": "0.134000", "active": 1})
        for iso in ("DK", "SE", "DE"):
            t["countries"].insert({"iso_code": iso, "active": 1})
        t["taxes"].insert({"rate": "25.000", "active": 1, "name": "Moms DK 25%"})
        t["tax_rules"].insert({"id_tax_rules_group": 1, "id_country": 1, "id_state": 0, "id_tax": 1, "behavior": 0})
        t["carriers"].insert({"name": "Miinto", "url": "", "is_free": 1, "active": 1, "deleted": 0})
        t["carriers"].insert({"name": "PostNord", "url": "", "is_free": 0, "active": 1, "deleted": 0})
        self.carrier_prices: dict[int, Decimal] = {2: Decimal("49.00")}
        for state_id, (label, shipped) in STATES.items():
            t["order_states"].rows[state_id] = {
                "id": state_id,
                "name": label,
                "shipped": "1" if shipped else "0",
                "associations": {},
            }
        t["order_states"].next_id = max(STATES) + 1
        t["product_options"].insert({"name": "Color", "group_type": "color"})
        t["product_options"].insert({"name": "Size", "group_type": "select"})

    def add_key(self, key: str, permissions: dict[str, set[str]]) -> None:
        """A webservice key with exactly these permissions (resource → methods)."""
        self.keys[key] = permissions

    def stamp(self) -> str:
        """Now, as PrestaShop writes dates: shop-local, no zone."""
        return self.clock().astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")

    def config(self, name: str) -> str:
        return next(row["value"] for row in self.tables["configurations"].rows.values() if row["name"] == name)

    # --- routing and auth --------------------------------------------------------------------------
    def setup_routes(self) -> None:
        self.router.add("GET", "/api", self._root)
        self.router.add("GET", "/api/", self._root)
        for method in ("GET", "POST"):
            self.router.add(method, "/api/{resource}", self._collection)
        for method in ("GET", "PUT"):
            self.router.add(method, "/api/{resource}/{id}", self._single)

    def error_response(self, status: int, message: str) -> Response:
        return ws.error_answer(status, 0, message, as_json=True)

    def throttle_response(self, retry_after: int) -> Response:
        # PrestaShop core never throttles; hosting in front of it answers a plain 429.
        return Response(429, b"Too Many Requests", {"Retry-After": str(retry_after), "Content-Type": "text/plain"})

    def _authorise(self, request: Request, resource: str | None) -> dict[str, set[str]]:
        credentials = basic_credentials(request)
        key = credentials[0] if credentials else request.arg("ws_key", "")
        permissions = self.keys.get(key or "")
        if permissions is None:
            raise ws.WebserviceError(
                401, 20 if key else 17, "Authentication key is empty" if not key else "Invalid authentication key"
            )
        if resource is not None:
            if resource not in RESOURCES:
                raise ws.WebserviceError(400, 27, f'Resource of type "{resource}" does not exists')
            if resource not in permissions:
                raise ws.WebserviceError(401, 26, f'Resource of type "{resource}" is not allowed with this authentication key')
            if request.method not in permissions[resource]:
                raise ws.WebserviceError(
                    405, 25, f"Method {request.method} is not allowed for the resource {resource} with this authentication key"
                )
        return permissions

    def _answer(self, request: Request, build: Callable[[], Response], resource: str | None) -> Response:
        as_json = request.arg("output_format", "").upper() == "JSON" or request.header("output-format").upper() == "JSON"
        with self.lock:
            try:
                self._authorise(request, resource)
                return build()
            except ws.WebserviceError as error:
                headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if error.status == 401 else {}
                return ws.error_answer(error.status, error.code, error.message, as_json, headers)

    def _root(self, request: Request) -> Response:
        def build():
            permissions = self.keys[basic_credentials(request)[0] if basic_credentials(request) else request.arg("ws_key", "")]
            body = ws.resource_list_xml(self.shop_name, f"https://{request.host}/api/", permissions, RESOURCES)
            return Response(200, body, {"Content-Type": "text/xml;charset=utf-8", "PSWS-Version": VERSION})

        return self._answer(request, build, None)

    def _collection(self, request: Request) -> Response:
        resource = request.params["resource"]
        if request.method == "POST":
            return self._answer(request, lambda: self._post(request, resource), resource)
        return self._answer(request, lambda: self._list(request, resource), resource)

    def _single(self, request: Request) -> Response:
        resource, object_id = request.params["resource"], int(request.params["id"]) if request.params["id"].isdigit() else 0
        if request.method == "PUT":
            return self._answer(request, lambda: self._put(request, resource, object_id), resource)
        return self._answer(request, lambda: self._get(request, resource, object_id), resource)

    # --- reads -------------------------------------------------------------------------------------
    def _list(self, request: Request, resource: str) -> Response:
        table = self.tables[resource]
        aliases = ws.price_aliases(request.query)
        rows = ws.query_rows(table, request.query)
        names = ws.display_fields(table, request.arg("display"), set(aliases))
        if names is None:
            objects = [{"id": row["id"]} for row in rows]
        else:
            objects = [ws.render(row, names, self._computed(resource, row, aliases)) for row in rows]
        return ws.json_answer({resource: objects} if objects else [], version=VERSION)

    def _get(self, request: Request, resource: str, object_id: int) -> Response:
        table = self.tables[resource]
        row = table.get(object_id)
        if row is None:
            return Response(404, b"", {"PSWS-Version": VERSION})  # PrestaShop answers an unknown id with an empty body
        aliases = ws.price_aliases(request.query)
        names = ws.display_fields(table, request.arg("display") or "full", set(aliases))
        return ws.json_answer(
            {table.resource.node: ws.render(row, names, self._computed(resource, row, aliases))}, version=VERSION
        )

    def _computed(self, resource: str, row: dict, aliases: dict[str, dict[str, str]]) -> dict[str, str]:
        if resource not in ("products", "combinations"):
            return {}
        product = row if resource == "products" else self.tables["products"].get(int(row["id_product"]))
        combination = row["id"] if resource == "combinations" else 0
        return {alias: f"{self.catalog_price(product, combination, p):.6f}" for alias, p in aliases.items()}

    def catalog_price(self, product: dict, combination: int, params: dict[str, str]) -> Decimal:
        """What `price[alias][...]` computes: base + impact, tax for the default country, catalog reductions."""
        net = Decimal(product["price"])
        if combination:
            net += Decimal(self.tables["combinations"].get(combination)["price"] or "0")
        country = int(params.get("country") or self.config("PS_COUNTRY_DEFAULT"))
        gross = net * (1 + self.tax_rate(int(product["id_tax_rules_group"] or 0), country) / 100)
        price = gross if params.get("use_tax", "1") == "1" else net
        if params.get("use_reduction", "1") == "1":
            for rule in self.tables["specific_prices"].where(id_product=product["id"], id_cart="0"):
                if rule["id_product_attribute"] in ("0", str(combination)) and rule["reduction_type"] == "amount":
                    price -= Decimal(rule["reduction"])
        return price

    def tax_rate(self, group: int, country: int) -> Decimal:
        for rule in self.tables["tax_rules"].where(id_tax_rules_group=group, id_country=country):
            return Decimal(self.tables["taxes"].get(int(rule["id_tax"]))["rate"])
        return Decimal("0")

    # --- writes ------------------------------------------------------------------------------------
    def _post(self, request: Request, resource: str) -> Response:
        table = self.tables[resource]
        values = ws.parse_body(table.resource, request.body, "POST")
        handler = getattr(self, f"_create_{resource}", None)
        row = handler(values) if handler else table.insert(values, self.stamp())
        names = ws.display_fields(table, "full", set())
        return ws.json_answer({table.resource.node: ws.render(row, names, {})}, 201, VERSION)

    def _put(self, request: Request, resource: str, object_id: int) -> Response:
        table = self.tables[resource]
        if resource != "stock_availables" or table.get(object_id) is None:
            raise ws.WebserviceError(404 if table.get(object_id) is None else 405, 92, "Invalid ID")
        values = ws.parse_body(table.resource, request.body, "PUT")
        if int(values.get("id") or 0) != object_id:
            raise ws.WebserviceError(400, 90, "id is required when modifying a resource")
        row = table.get(object_id)
        row.update({name: value for name, value in values.items() if name != "associations"})
        self._sum_stock(int(row["id_product"]))
        return ws.json_answer({"stock_available": ws.render(row, ws.display_fields(table, "full", set()), {})}, 200, VERSION)

    def _create_customers(self, values: dict) -> dict:
        values["secure_key"] = hashlib.md5(self.random.randbytes(8)).hexdigest()  # noqa: S324 - what PrestaShop does
        values.pop("passwd", None)  # stored hashed, never shown
        return self.tables["customers"].insert(values, self.stamp())

    def _create_addresses(self, values: dict) -> dict:
        if self.tables["countries"].get(int(values["id_country"] or 0)) is None:
            raise ws.WebserviceError(400, 85, 'Validation error: "Property Address->id_country is not valid"')
        return self.tables["addresses"].insert(values, self.stamp())

    def _create_orders(self, values: dict) -> dict:
        """`Order::addWs`: `validateOrder(id_cart, PS_OS_WS_PAYMENT, total_paid, payment, ...)`; the rest is ignored."""
        t = self.tables
        if values["module"] not in INSTALLED_PAYMENT_MODULES:
            raise ws.WebserviceError(500, 0, f"Call to a member function validateOrder() on bool (module {values['module']})")
        cart = t["carts"].get(int(values["id_cart"]))
        if cart is None or t["orders"].where(id_cart=cart["id"]):
            raise ws.WebserviceError(500, 0, "Cart cannot be loaded or an order has already been placed using this cart")
        customer = t["customers"].get(int(cart["id_customer"]))
        if customer is None or customer["secure_key"] != cart["secure_key"]:
            raise ws.WebserviceError(500, 0, "Secure key does not match")
        address = t["addresses"].get(int(cart["id_address_delivery"]))
        rows, total = [], Decimal("0")
        for entry in cart["associations"]["cart_rows"]:
            pid, aid, quantity = int(entry["id_product"]), int(entry.get("id_product_attribute") or 0), int(entry["quantity"])
            product = t["products"].get(pid)
            source = t["combinations"].get(aid) if aid else product
            rate = self.tax_rate(int(product["id_tax_rules_group"] or 0), int(address["id_country"]))
            net = self.cart_net_price(cart["id"], product, aid)
            if net is None:  # the catalog price, with its reductions, for the delivery country
                catalog_gross = self.catalog_price(product, aid, {"country": address["id_country"]})
                net = (catalog_gross / (1 + rate / 100)).quantize(Decimal("0.000001"))
            gross = money(net * (1 + rate / 100))
            total += gross * quantity
            rows.append(
                {
                    "product_id": pid,
                    "product_attribute_id": aid,
                    "product_quantity": quantity,
                    "product_name": product["name"],
                    "product_reference": source["reference"],
                    "product_ean13": source["ean13"],
                    "unit_price_tax_incl": f"{gross:.6f}",
                    "unit_price_tax_excl": f"{net:.6f}",
                }
            )
        carrier = self.cart_carrier(cart)
        total += self.shipping_price(carrier)
        state = int(self.config("PS_OS_WS_PAYMENT"))
        if money(Decimal(values["total_paid"])) != money(total):
            state = int(self.config("PS_OS_ERROR"))  # validateOrder: the amount paid differs from the cart total
        reference = "".join(self.random.choice(string.ascii_uppercase) for _ in range(9))
        order = t["orders"].insert(
            {
                **values,
                "id_customer": cart["id_customer"],
                "id_address_delivery": cart["id_address_delivery"],
                "id_address_invoice": cart["id_address_invoice"],
                "id_currency": cart["id_currency"],
                "id_carrier": carrier,
                "current_state": state,
                "reference": reference,
                "total_paid": f"{money(total):.2f}",
                "total_paid_real": values["total_paid"],
                "carrier_tax_rate": "25.000",
                "id_shop": 1,
                "valid": 1,
            },
            self.stamp(),
        )
        for line in rows:
            detail = t["order_details"].insert({"id_order": order["id"], **line, "product_quantity_refunded": 0})
            order["associations"]["order_rows"].append(
                {"id": detail["id"], **{k: v for k, v in line.items() if k != "product_ean13"}}
            )
            if not self.stock_skipped(state):  # OrderDetail::checkProductStock
                self.move_stock(line["product_id"], line["product_attribute_id"], -line["product_quantity"])
        t["order_carriers"].insert({"id_order": order["id"], "id_carrier": carrier, "tracking_number": ""}, self.stamp())
        t["order_histories"].insert({"id_order": order["id"], "id_order_state": state, "id_employee": 0}, self.stamp())
        return order

    def cart_carrier(self, cart: dict) -> int:
        """`Cart::getDeliveryOption`: the carrier chosen for the delivery address, else the shop's default carrier."""
        try:
            option = json.loads(cart.get("delivery_option") or "{}")
        except ValueError:
            option = {}
        chosen = str(option.get(str(cart["id_address_delivery"]), "") if isinstance(option, dict) else "").strip(",")
        if chosen.isdigit() and self.tables["carriers"].get(int(chosen)) is not None:
            return int(chosen)
        return int(self.config("PS_CARRIER_DEFAULT"))

    def shipping_price(self, carrier_id: int) -> Decimal:
        carrier = self.tables["carriers"].get(carrier_id)
        if carrier is None or str(carrier.get("is_free")) == "1":
            return Decimal("0")
        return self.carrier_prices.get(carrier_id, Decimal("0"))

    def stock_skipped(self, state: int) -> bool:
        """Orders in the error or canceled state claim no stock."""
        return state in (int(self.config("PS_OS_ERROR")), int(self.config("PS_OS_CANCELED")))

    def cart_net_price(self, cart_id: int, product: dict, combination: int) -> Decimal | None:
        """A cart-scoped specific price wins (PrestaShop orders them by id_cart first); None leaves the catalog price."""
        for rule in self.tables["specific_prices"].where(id_product=product["id"], id_cart=cart_id):
            if rule["id_product_attribute"] in ("0", str(combination)) and Decimal(rule["price"] or "-1") >= 0:
                return Decimal(rule["price"])
        return None

    def _create_order_histories(self, values: dict) -> dict:
        """`OrderHistory::addWs`: the order moves to the new state (sendemail decides the customer e-mail only)."""
        order = self.tables["orders"].get(int(values["id_order"]))
        if order is None or int(values["id_order_state"]) not in STATES:
            raise ws.WebserviceError(400, 85, 'Validation error: "id_order or id_order_state is not valid"')
        old, new = int(order["current_state"]), int(values["id_order_state"])
        if self.stock_skipped(old) and new in LOGABLE:  # changeIdOrderState: becoming logable takes the stock now
            for row in order["associations"]["order_rows"]:
                self.move_stock(int(row["product_id"]), int(row["product_attribute_id"]), -int(row["product_quantity"]))
        order.update(current_state=values["id_order_state"], date_upd=self.stamp())
        return self.tables["order_histories"].insert(values, self.stamp())

    def _create_customer_messages(self, values: dict) -> dict:
        thread = self.tables["customer_threads"].get(int(values["id_customer_thread"] or 0))
        if thread is None:
            raise ws.WebserviceError(400, 85, 'Validation error: "Property CustomerMessage->id_customer_thread is not valid"')
        thread["date_upd"] = self.stamp()
        return self.tables["customer_messages"].insert(values, self.stamp())

    # --- stock -------------------------------------------------------------------------------------
    def stock_row(self, pid: int, aid: int) -> dict:
        return self.tables["stock_availables"].where(id_product=pid, id_product_attribute=aid)[0]

    def move_stock(self, pid: int, aid: int, delta: int) -> None:
        row = self.stock_row(pid, aid)
        row["quantity"] = str(int(row["quantity"]) + delta)
        self._sum_stock(pid)

    def _sum_stock(self, pid: int) -> None:
        """PrestaShop keeps a product-level row (combination 0) holding the sum of its combinations."""
        rows = self.tables["stock_availables"].where(id_product=pid)
        if len(rows) > 1:
            total = sum(int(row["quantity"]) for row in rows if row["id_product_attribute"] != "0")
            next(row for row in rows if row["id_product_attribute"] == "0")["quantity"] = str(total)

    # --- merchant-side conventions (StoreSandboxApp) -------------------------------------------------
    def shop_facts(self, account: str | None = None) -> dict:
        return {"name": self.shop_name, "currency": "DKK", "prices_include_tax": False}

    def demo_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {"shop_url": base_url or "https://prestashop.koongo.test", "api_key": DEMO_KEY, "payment_module": "miinto"}

    def invalid_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        return {**self.demo_credentials(base_url), "api_key": OTHER_KEY}

    def seed_products(self, items: list[dict], account: str | None = None) -> list[dict]:
        return seed(self, group_catalog(items))

    def stock_of(self, sku: str, account: str | None = None) -> int:
        for combination in self.tables["combinations"].where(reference=sku):
            return int(self.stock_row(int(combination["id_product"]), combination["id"])["quantity"])
        for product in self.tables["products"].where(reference=sku):
            return int(self.stock_row(product["id"], 0)["quantity"])
        raise KeyError(sku)

    def orders_summary(self, reference: str | None = None, account: str | None = None) -> list[dict]:
        t, found = self.tables, []
        for order in t["orders"].rows.values():
            address = t["addresses"].get(int(order["id_address_delivery"]))
            ours = order_reference(address["other"]) if address else None
            if reference is not None and ours != reference:
                continue
            found.append(
                {
                    "id": str(order["id"]),
                    "reference": ours,
                    "note": "\n".join(m["message"] for m in self.messages_of(order["id"])),
                    "state": int(order["current_state"]),
                    "lines": [
                        {
                            "sku": row["product_reference"],
                            "quantity": int(row["product_quantity"]),
                            "unit_price": str(money(Decimal(row["unit_price_tax_incl"]))),
                        }
                        for row in order["associations"]["order_rows"]
                    ],
                }
            )
        return found

    def messages_of(self, order_id: int) -> list[dict]:
        threads = {thread["id"] for thread in self.tables["customer_threads"].where(id_order=order_id)}
        return [m for m in self.tables["customer_messages"].rows.values() if int(m["id_customer_thread"]) in threads]

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
        """The back office's shipping edit: the carrier and tracking number on the order's carrier, then "Shipped"."""
        t = self.tables
        template = tracking_url.replace(tracking_number, "@") if tracking_url else ""
        found = t["carriers"].where(name=carrier) or [
            t["carriers"].insert({"name": carrier, "url": template, "active": 1, "deleted": 0})
        ]
        order = t["orders"].get(int(order_id))
        record = t["order_carriers"].where(id_order=order["id"])[0]
        record.update(id_carrier=str(found[0]["id"]), tracking_number=tracking_number)
        order.update(id_carrier=str(found[0]["id"]), shipping_number=tracking_number, date_upd=self.stamp())
        self._create_order_histories({"id_order": order["id"], "id_order_state": 4, "id_employee": 1})
        return str(record["id"])

    def make_refund(
        self, order_id: str, lines: list[dict], *, shipping_amount: str = "0", note: str = "", account: str | None = None
    ) -> str:
        """The back office's partial refund: a slip with details, refunded quantities on the order's rows."""
        t = self.tables
        order = t["orders"].get(int(order_id))
        details, products_incl, products_excl = [], Decimal("0"), Decimal("0")
        for line in lines:
            row = next(r for r in order["associations"]["order_rows"] if r["product_reference"] == line["sku"])
            quantity = int(line["quantity"])
            incl, excl = (
                money(Decimal(row["unit_price_tax_incl"]) * quantity),
                money(Decimal(row["unit_price_tax_excl"]) * quantity),
            )
            details.append(
                {"id_order_detail": row["id"], "product_quantity": quantity, "amount_tax_excl": excl, "amount_tax_incl": incl}
            )
            products_incl, products_excl = products_incl + incl, products_excl + excl
            detail = t["order_details"].get(int(row["id"]))
            detail["product_quantity_refunded"] = str(int(detail["product_quantity_refunded"] or 0) + quantity)
        shipping = Decimal(shipping_amount)
        slip = t["order_slip"].insert(
            {
                "id_customer": order["id_customer"],
                "id_order": order["id"],
                "conversion_rate": "1.000000",
                "total_products_tax_excl": products_excl,
                "total_products_tax_incl": products_incl,
                "total_shipping_tax_excl": money(shipping / Decimal("1.25")),
                "total_shipping_tax_incl": shipping,
                "amount": products_incl,
                "shipping_cost": int(shipping > 0),
                "shipping_cost_amount": shipping,
                "partial": 1,
                "order_slip_type": 0,
                "associations": {"order_slip_details": details},
            },
            self.stamp(),
        )
        return f"order_slip/{slip['id']}"

    def refund_by_state(self, order_id: str) -> str:
        """The merchant sets "Refunded" without a slip; returns the id the adapter reports for it."""
        history = self._create_order_histories({"id_order": int(order_id), "id_order_state": 7, "id_employee": 1})
        return f"order_history/{history['id']}"

    def refunds_summary(self, order_id: str, account: str | None = None) -> list[dict]:
        found = []
        for slip in self.tables["order_slip"].where(id_order=int(order_id)):
            rows = {r["id"]: r for r in self.tables["orders"].get(int(order_id))["associations"]["order_rows"]}
            found.append(
                {
                    "id": f"order_slip/{slip['id']}",
                    "lines": [
                        {"sku": rows[int(d["id_order_detail"])]["product_reference"], "quantity": int(d["product_quantity"])}
                        for d in slip["associations"]["order_slip_details"]
                    ],
                }
            )
        return found

    def operation_of(self, request: httpx.Request) -> str | None:
        parts = request.url.path.split("/api/", 1)
        resource = parts[1].split("/")[0] if len(parts) == 2 else ""
        return OPERATIONS.get((request.method, resource))


SANDBOX = PrestaShopSandbox
