"""PrestaShop refunds as credit slips: the `order_slip` we post for a request, and slips read back as `StoreRefund`s.

Pure mapping and arithmetic; the adapter does the calls. A slip has no free-text field, so our key lives in the
order's private messages: an intent note before the slip is posted, and a claim naming the slip after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from koongo.http import PermanentError
from platforms.markers import find_tags, tag
from platforms.mechanics import cents
from platforms.prestashop.client import xml_body
from platforms.prestashop.schemas import CustomerMessage, Order, OrderRow, OrderSlip
from platforms.values import Money, RefundLine, RefundRequest, StoreOrderRef, StoreRefund

CLAIM = "refund-slip"
INTENT = "refund-intent"


@dataclass(frozen=True)
class SlipPlan:
    """The slip a refund request becomes: its detail rows, our lines (with SKUs) and its totals."""

    details: tuple[dict, ...]
    lines: tuple[RefundLine, ...]
    products_incl: Decimal
    products_excl: Decimal
    shipping_incl: Decimal
    shipping_excl: Decimal

    @property
    def total(self) -> Decimal:
        return self.products_incl + self.shipping_incl

    def body(self, order: Order) -> bytes:
        """The POST /api/order_slip body. `partial` = 1: amounts are ours, as in the back office's partial refund."""
        fields = {
            "id_customer": order.id_customer,
            "id_order": order.id,
            "conversion_rate": order.conversion_rate,
            "total_products_tax_excl": self.products_excl,
            "total_products_tax_incl": self.products_incl,
            "total_shipping_tax_excl": self.shipping_excl,
            "total_shipping_tax_incl": self.shipping_incl,
            "amount": self.products_incl,
            "shipping_cost": int(self.shipping_incl > 0),
            "shipping_cost_amount": self.shipping_incl,
            "partial": 1,
            "order_slip_type": 0,
        }
        return xml_body("order_slip", fields, {"order_slip_details": ("order_slip_detail", self.details)})

    def matches(self, slip: OrderSlip) -> bool:
        """Whether a slip carries exactly these detail rows and quantities (how an unclaimed slip is recognised)."""
        mine = sorted((int(d["id_order_detail"]), int(d["product_quantity"])) for d in self.details)
        return mine == sorted((d.id_order_detail, d.product_quantity) for d in slip.associations.order_slip_details)


def plan_slip(order: Order, request: RefundRequest, refunded: dict[int, int]) -> SlipPlan:
    """The slip for `request` on `order`; `refunded` is the quantity already on slips per order_detail id.

    A line's amount is the request's (tax included) or the row's unit price times the quantity; the tax-excluded
    amounts keep the row's own tax ratio, and shipping uses the order's carrier tax rate.
    """
    rows = list(order.associations.order_rows)
    left = {row.id: row.product_quantity - refunded.get(row.id, 0) for row in rows}
    details, lines = [], []
    for line in request.lines:
        row = next((r for r in rows if _names(r, line) and left[r.id] >= line.quantity), None)
        if row is None:
            raise PermanentError(
                f"PrestaShop order {order.id} has no refundable row {line.line_id or line.sku} × {line.quantity}"
            )
        left[row.id] -= line.quantity
        incl = cents(line.amount if line.amount is not None else row.unit_price_tax_incl * line.quantity)
        excl = cents(incl * row.unit_price_tax_excl / row.unit_price_tax_incl) if row.unit_price_tax_incl else incl
        details.append(
            {"id_order_detail": row.id, "product_quantity": line.quantity, "amount_tax_excl": excl, "amount_tax_incl": incl}
        )
        lines.append(RefundLine(sku=row.product_reference or None, line_id=str(row.id), quantity=line.quantity, amount=incl))
    shipping = cents(request.shipping_amount)
    return SlipPlan(
        details=tuple(details),
        lines=tuple(lines),
        products_incl=sum((d["amount_tax_incl"] for d in details), Decimal("0")),
        products_excl=sum((d["amount_tax_excl"] for d in details), Decimal("0")),
        shipping_incl=shipping,
        shipping_excl=cents(shipping * 100 / (100 + order.carrier_tax_rate)),
    )


def _names(row: OrderRow, line: RefundLine) -> bool:
    return str(row.id) == line.line_id if line.line_id else bool(line.sku) and row.product_reference == line.sku


def refunded_quantities(slips: list[OrderSlip]) -> dict[int, int]:
    """Quantity on slips per order_detail id."""
    taken: dict[int, int] = {}
    for slip in slips:
        for detail in slip.associations.order_slip_details:
            taken[detail.id_order_detail] = taken.get(detail.id_order_detail, 0) + detail.product_quantity
    return taken


def intent_text(note: str, key: str, last_slip_id: int) -> str:
    """The message posted before a slip: the refund note, and the newest slip the order had, which ours must follow."""
    return f"{note}\n{tag(INTENT, key)} after order slip {last_slip_id}"


def intent_floor(messages: list[CustomerMessage], key: str) -> int | None:
    """The newest slip id the order had before our first intent for `key`; None when we never announced one."""
    floors = []
    for message in messages:
        for intent in find_tags(message.message, INTENT):
            number = intent.rest.removeprefix("after order slip ").strip()
            if intent.key == key and number.isdigit():
                floors.append(int(number))
    return min(floors) if floors else None


def claim_text(key: str, slip_id: int) -> str:
    return f"{tag(CLAIM, key)} order slip {slip_id}"


def claims(messages: list[CustomerMessage]) -> dict[str, int]:
    """Our refund key → the slip it created, from claim messages."""
    found = {}
    for message in messages:
        for claim in find_tags(message.message, CLAIM):
            number = claim.rest.removeprefix("order slip ").strip()
            if number.isdigit():
                found.setdefault(claim.key, int(number))
    return found


def slip_refund(
    slip: OrderSlip, order: Order, ref: StoreOrderRef, currency: str, created_at: datetime, origin_key: str | None
) -> StoreRefund:
    """A slip as the protocol's refund: its detail rows as lines (SKU from the order row), item-level."""
    rows = {row.id: row for row in order.associations.order_rows}
    lines = []
    for detail in slip.associations.order_slip_details:
        row = rows.get(detail.id_order_detail)
        lines.append(
            RefundLine(
                sku=(row.product_reference or None) if row else None,
                line_id=str(detail.id_order_detail),
                quantity=detail.product_quantity,
                amount=detail.amount_tax_incl,
            )
        )
    return StoreRefund(
        refund_id=f"order_slip/{slip.id}",
        order=ref,
        lines=tuple(lines),
        shipping_amount=slip.total_shipping_tax_incl,
        total=Money(amount=slip.total_products_tax_incl + slip.total_shipping_tax_incl, currency=currency),
        created_at=created_at,
        origin_key=origin_key,
    )


def order_lines(order: Order) -> list[RefundLine]:
    """Every row of an order as a line with its total, for working out what a state-only refund covers."""
    return [
        RefundLine(
            sku=row.product_reference or None,
            line_id=str(row.id),
            quantity=row.product_quantity,
            amount=cents(row.unit_price_tax_incl * row.product_quantity),
        )
        for row in order.associations.order_rows
    ]
