"""One simulated Shopware 5 shop: articles and variants (net prices), customers, orders and dispatches, as Doctrine keeps them.

Views are dicts in the REST API's field names. Times are aware (Europe/Berlin) and written as PHP's ISO-8601.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from koongo.sandbox_kit import CatalogItem, SandboxError

ZONE = ZoneInfo("Europe/Berlin")
TAX = Decimal("25")
GROUPS = {1: "Farbe", 2: "Größe"}  # a German shop names its configurator groups in German
ORDER_FIELDS = (
    "paymentStatusId",
    "orderStatusId",
    "trackingCode",
    "comment",
    "customerComment",
    "internalComment",
    "transactionId",
    "clearedDate",
)  # what `Resource\\Order::prepareOrderData` lets a PUT change
PAYMENT_STATES = set(range(9, 22)) | {30, 31, 32, 33, 34, 35}
ORDER_STATES = set(range(-1, 9))


def php_date(value: datetime) -> str:
    """PHP's DateTime::ISO8601: no fraction, offset without a colon."""
    return value.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M:%S%z")


def gross(net: Decimal) -> float:
    return float((net * (100 + TAX) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


DETAIL_NOT_BLANK = ("articleId", "articleNumber", "price", "quantity", "taxRate")


class Shop:
    """The shop's state; every method runs under the simulator's lock."""

    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self.ids = itertools.count(1)
        self.numbers = itertools.count(20001)
        self.articles: dict[int, dict] = {}
        self.variants: dict[int, dict] = {}
        self.options: dict[int, dict] = {}
        self.suppliers: dict[str, int] = {}
        self.categories: dict[str, int] = {}
        self.customers: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.countries = {1: "DK", 2: "DE", 3: "SE"}
        self.dispatches: dict[int, dict] = {9: {"id": 9, "name": "Miinto", "statusLink": "", "active": True}}
        self.payments = {5: {"id": 5, "name": "prepayment", "description": "Vorkasse", "active": True}}

    def now(self) -> datetime:
        return self.clock().astimezone(ZONE).replace(microsecond=0)

    # --- catalog -------------------------------------------------------------------------------------
    def seed(self, groups: dict[str, list[CatalogItem]]) -> list[dict]:
        created = []
        for items in groups.values():
            first = items[0]
            article = {
                "id": next(self.ids),
                "name": first.title,
                "supplier": first.brand,
                "category": first.category,
                "variants": [],
            }
            self.articles[article["id"]] = article
            for index, item in enumerate(items):
                price = Decimal(item.price) * 100 / (100 + TAX)  # Shopware stores net prices
                pseudo = Decimal(item.compare_at_price) * 100 / (100 + TAX) if item.compare_at_price else Decimal("0")
                options = [self._option(group, value) for group, value in ((1, item.color), (2, item.size)) if value]
                variant = {
                    "id": next(self.ids),
                    "articleId": article["id"],
                    "number": item.sku,
                    "ean": item.gtin or "",
                    "supplierNumber": "",
                    "inStock": item.stock,
                    "active": True,
                    "kind": 1 if index == 0 else 2,
                    "prices": [{"customerGroupKey": "EK", "price": price, "pseudoPrice": pseudo, "from": 1, "to": "beliebig"}],
                    "options": options,
                }
                self.variants[variant["id"]] = variant
                article["variants"].append(variant["id"])
                created.append({"sku": item.sku, "product_id": str(article["id"]), "variant_id": str(variant["id"])})
        return created

    def _option(self, group: int, name: str) -> int:
        for option in self.options.values():
            if option["groupId"] == group and option["name"] == name:
                return option["id"]
        option = {"id": next(self.ids), "groupId": group, "name": name, "position": 0}
        self.options[option["id"]] = option
        return option["id"]

    def variant_by_number(self, number: str) -> dict:
        for variant in self.variants.values():
            if variant["number"] == number:
                return variant
        raise SandboxError(404, f"Variant by number {number} not found")

    def variant_view(self, variant: dict, tax_input: bool) -> dict:
        article = self.articles[variant["articleId"]]
        prices = []
        for price in variant["prices"]:
            net, pseudo = price["price"], price["pseudoPrice"]
            view = {
                "customerGroupKey": price["customerGroupKey"],
                "from": price["from"],
                "to": price["to"],
                "price": float(net),
                "pseudoPrice": float(pseudo),
            }
            if tax_input:  # Article::getTaxPrices, with considerTaxInput=1
                view |= {"net": float(net), "price": gross(net), "pseudoPrice": gross(pseudo)}
            prices.append(view)
        return {
            "id": variant["id"],
            "articleId": variant["articleId"],
            "number": variant["number"],
            "ean": variant["ean"],
            "supplierNumber": variant["supplierNumber"],
            "inStock": variant["inStock"],
            "active": variant["active"],
            "kind": variant["kind"],
            "prices": prices,
            "article": {"id": article["id"], "name": article["name"], "taxId": 1, "active": True},
        }

    def article_view(self, article: dict, tax_input: bool) -> dict:
        details = [
            {
                "id": v,
                "number": self.variants[v]["number"],
                "kind": self.variants[v]["kind"],
                "configuratorOptions": [self.options[o] for o in self.variants[v]["options"]],
            }
            for v in article["variants"]
        ]
        supplier = (
            {"id": self.suppliers.setdefault(article["supplier"], len(self.suppliers) + 1), "name": article["supplier"]}
            if article["supplier"]
            else None
        )
        categories = (
            [{"id": self.categories.setdefault(article["category"], len(self.categories) + 3), "name": article["category"]}]
            if article["category"]
            else []
        )
        return {
            "id": article["id"],
            "name": article["name"],
            "active": True,
            "taxId": 1,
            "supplier": supplier,
            "tax": {"id": 1, "tax": f"{TAX:.2f}", "name": f"{TAX} %"},
            "categories": categories,
            "mainDetail": details[0],
            "details": details[1:],
            "configuratorSet": {"id": article["id"], "groups": [{"id": g, "name": n} for g, n in GROUPS.items()]},
        }

    # --- customers and orders ------------------------------------------------------------------------
    def create_customer(self, body: dict) -> dict:
        for name in ("email", "firstname", "lastname", "salutation"):
            if not body.get(name):
                raise SandboxError(400, f"Validation error: {name} must not be empty")
        billing = body.get("billing") or {}
        if int(billing.get("country") or 0) not in self.countries:
            raise SandboxError(400, "Validation error: billing.country is not a valid country")
        customer = {
            "id": next(self.ids),
            "email": body["email"],
            "firstname": body["firstname"],
            "lastname": body["lastname"],
            "groupKey": body.get("groupKey", "EK"),
            "accountMode": body.get("accountMode", 0),
            "shopId": body.get("shopId", 1),
        }
        self.customers[customer["id"]] = customer
        return customer

    def create_order(self, body: dict) -> dict:
        """`Resource\\Order::create`: required references checked, then a raw persist; stock moves by article number."""
        for name in ("customerId", "orderStatusId", "paymentStatusId", "paymentId", "dispatchId", "shopId"):
            if name not in body:
                raise SandboxError(400, f"{name} is missing")
        if body["customerId"] not in self.customers:
            raise SandboxError(404, f"Customer by id {body['customerId']} not found")
        if body["paymentId"] not in self.payments:
            raise SandboxError(404, f"Payment by id {body['paymentId']} not found")
        if body["dispatchId"] not in self.dispatches:
            raise SandboxError(404, f"Dispatch by id {body['dispatchId']} not found")
        for side in ("billing", "shipping"):
            if int((body.get(side) or {}).get("countryId") or 0) not in self.countries:
                raise SandboxError(
                    400 if "countryId" not in (body.get(side) or {}) else 404, f"{side}.countryId is missing or unknown"
                )
        details = []
        for detail in body.get("details") or []:
            if "statusId" not in detail or "taxId" not in detail:
                raise SandboxError(404, "details.statusId or details.taxId is missing")
            # Order\Detail's @Assert\NotBlank fields, checked by the validator before the persist.
            blank = [name for name in DETAIL_NOT_BLANK if detail.get(name) in (None, "")]
            if blank:
                raise SandboxError(400, f"Validation error: details.{blank[0]} should not be blank")
            details.append(
                {
                    "id": next(self.ids),
                    **{
                        key: detail.get(key)
                        for key in (
                            "articleId",
                            "articleNumber",
                            "articleName",
                            "price",
                            "quantity",
                            "taxId",
                            "taxRate",
                            "statusId",
                            "shipped",
                            "mode",
                        )
                    },
                    # Whitelisted by Resource\Order, but Detail::fromArray finds no setArticleDetailID: never stored.
                    "articleDetailID": None,
                }
            )
        now = self.now()
        order = {
            key: body.get(key)
            for key in (
                "customerId",
                "paymentId",
                "dispatchId",
                "shopId",
                "invoiceAmount",
                "invoiceAmountNet",
                "invoiceShipping",
                "invoiceShippingNet",
                "net",
                "taxFree",
                "currency",
                "currencyFactor",
                "languageIso",
            )
        }
        order |= {
            "id": next(self.ids),
            "number": str(next(self.numbers)),
            "orderStatusId": body["orderStatusId"],
            "paymentStatusId": body["paymentStatusId"],
            "transactionId": body.get("transactionId") or "",
            "internalComment": body.get("internalComment") or "",
            "comment": "",
            "customerComment": "",
            "trackingCode": "",
            "orderTime": body.get("orderTime"),
            "changed": now,
            "details": details,
            "billing": body["billing"],
            "shipping": body["shipping"],
        }
        self.orders[order["id"]] = order
        for detail in details:  # ProductStockSubscriber::postPersist
            self.variant_by_number(detail["articleNumber"])["inStock"] -= int(detail["quantity"])
        return order

    def order(self, order_id: int) -> dict:
        if order_id not in self.orders:
            raise SandboxError(404, f"Order by id {order_id} not found")
        return self.orders[order_id]

    def update_order(self, order_id: int, body: dict) -> dict:
        order = self.order(order_id)
        if "paymentStatusId" in body and int(body["paymentStatusId"]) not in PAYMENT_STATES:
            raise SandboxError(404, f"PaymentStatus by id {body['paymentStatusId']} not found")
        if "orderStatusId" in body and int(body["orderStatusId"]) not in ORDER_STATES:
            raise SandboxError(404, f"OrderStatus by id {body['orderStatusId']} not found")
        order.update({key: body[key] for key in ORDER_FIELDS if key in body})
        order["changed"] = self.now()  # Order::onUpdate (PreUpdate)
        return order

    def order_view(self, order: dict, full: bool) -> dict:
        view = {key: value for key, value in order.items() if key not in ("details", "billing", "shipping", "changed")}
        view |= {
            "changed": php_date(order["changed"]),
            "orderTime": order["orderTime"] or php_date(order["changed"]),
            "customer": {"id": order["customerId"], "email": self.customers[order["customerId"]]["email"]},
        }
        if full:
            view |= {
                "details": order["details"],
                "billing": order["billing"],
                "shipping": order["shipping"],
                "dispatch": self.dispatches[order["dispatchId"]],
            }
        return view

    def dispatch_named(self, name: str, status_link: str) -> int:
        for dispatch in self.dispatches.values():
            if dispatch["name"] == name:
                return dispatch["id"]
        dispatch = {"id": next(self.ids), "name": name, "statusLink": status_link, "active": True}
        self.dispatches[dispatch["id"]] = dispatch
        return dispatch["id"]
