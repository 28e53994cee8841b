"""Translating between the store's refund lines and Miinto order positions, through our order lines' SKUs."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from orders.models import OrderLine
from platforms.values import RefundLine, StoreRefund


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def store_refund_lines(refund: StoreRefund, order_lines: Iterable[OrderLine]) -> list[dict]:
    """The refund's lines as we keep them, each with the Miinto position it refunds (None where no order line matches)."""
    by_sku: dict[str, int] = {}
    for line in order_lines:
        if line.sku:
            by_sku.setdefault(line.sku, line.miinto_position_id)
    return [
        {
            "sku": line.sku or "",
            "line_id": line.line_id or "",
            "quantity": line.quantity,
            "amount": _amount(line.amount),
            "miinto_position_id": by_sku.get(line.sku or ""),
        }
        for line in refund.lines
    ]


def refund_request_lines(rma_lines) -> list[RefundLine]:
    """An RMA's lines as the adapter's refund lines: the same SKUs, quantities and amounts (incl. tax)."""
    return [RefundLine(sku=line.order_line.sku, quantity=line.quantity, amount=line.amount) for line in rma_lines]


def rma_lines_json(rma_lines) -> list[dict]:
    """An RMA's lines for messages and excerpts."""
    return [
        {
            "sku": line.order_line.sku if line.order_line_id else "",
            "miinto_position_id": line.miinto_position_id,
            "quantity": line.quantity,
            "amount": _amount(line.amount),
        }
        for line in rma_lines
    ]
