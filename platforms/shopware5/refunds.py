"""Shopware 5 "refunds": payment status 20 (re-crediting) plus a marker line in the internal comment, and their discovery."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from koongo.http import HttpError, PermanentError
from platforms.base import Money, RefundLine, RefundRequest, StoreOrderRef, StoreRefund, append_note, cents
from platforms.markers import RefundNote
from platforms.mechanics import remaining_lines
from platforms.shopware5.client import NAME
from platforms.shopware5.orders import OrderWrites
from platforms.shopware5.schemas import Order

RE_CREDITING = 20  # Status::PAYMENT_STATE_RE_CREDITING
STORE = "store-refund"


def refund_of(order: Order, note: RefundNote) -> StoreRefund:
    """A marker line as the protocol's refund: ours carry our key; an acknowledged store refund carries none."""
    ours = note.kind == "refund"
    return StoreRefund(
        refund_id=f"{order.id}/{note.key if ours else 'store'}",
        order=OrderWrites.ref(order),
        lines=note.lines,
        shipping_amount=note.shipping,
        total=Money(amount=note.total, currency=note.currency or order.currency),
        created_at=note.at,
        origin_key=note.key if ours else None,
        item_level=False,
        note=note.reason,
    )


def ordered_lines(order: Order) -> list[RefundLine]:
    return [
        RefundLine(
            sku=detail.article_number or None,
            line_id=str(detail.id),
            quantity=detail.quantity,
            amount=cents(detail.price * detail.quantity),
        )
        for detail in order.details
    ]


class StatusRefunds(OrderWrites):
    """Refunds as Shopware can keep them; see the adapter's docstring for what that leaves out."""

    # The marker is appended to the internal comment, which note writes rewrite whole: a refund holds the note lock too.
    refunds_in_notes = True

    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        order = self.full_order(request.order.id)
        notes = [note for note in RefundNote.parse_all(order.internal_comment, ("refund",)) if note.key == request.key]
        return refund_of(order, notes[0]) if notes else None

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        """One PUT sets the status and appends our marker, so a timeout leaves either both or neither."""
        order = self.full_order(request.order.id)
        if order.currency and request.currency != order.currency:
            raise PermanentError(f"{NAME} order {order.id} is in {order.currency}, the refund in {request.currency}")
        already = [line for note in RefundNote.parse_all(order.internal_comment) for line in note.lines]
        lines = self._lines(order, request, remaining_lines(ordered_lines(order), already))
        shipping = cents(request.shipping_amount)
        total = sum((line.amount or Decimal("0") for line in lines), shipping)
        note = RefundNote(
            "refund", request.key, self.now(), tuple(lines), shipping, total, order.currency or request.currency, request.reason
        )
        comment = append_note(order.internal_comment, note.render()) or order.internal_comment
        self.client.write("PUT", f"orders/{order.id}", {"paymentStatusId": RE_CREDITING, "internalComment": comment})
        return refund_of(order, note)

    @staticmethod
    def _lines(order: Order, request: RefundRequest, left: list[RefundLine]) -> list[RefundLine]:
        """The request's lines against what is left on the order: by position id or article number, amounts filled in."""
        available = {line.line_id: line for line in left}
        lines = []
        for wanted in request.lines:
            match = next(
                (
                    line
                    for line in available.values()
                    if (line.line_id == wanted.line_id if wanted.line_id else line.sku == wanted.sku)
                    and line.quantity >= wanted.quantity
                ),
                None,
            )
            if match is None:
                raise PermanentError(
                    f"{NAME} order {order.id} has no refundable position {wanted.line_id or wanted.sku} × {wanted.quantity}"
                )
            unit = match.amount / match.quantity if match.amount is not None else Decimal("0")
            amount = cents(wanted.amount if wanted.amount is not None else unit * wanted.quantity)
            lines.append(RefundLine(sku=match.sku, line_id=match.line_id, quantity=wanted.quantity, amount=amount))
            rest = match.quantity - wanted.quantity
            available[match.line_id] = match.model_copy(update={"quantity": rest, "amount": cents(unit * rest)}) if rest else None
            available = {key: value for key, value in available.items() if value}
        return lines

    def _refunds_since(self, start: datetime) -> list[StoreRefund]:
        """Our markers and acknowledged store refunds on orders changed since `start`; new store refunds are acknowledged.

        An order in payment status 20 that carries no marker was refunded in the shop: it reads as a full refund of
        the lines not yet refunded, and gets an acknowledgement marker so every later poll reports that same refund.
        """
        found = []
        for order in self.orders_changed_since(start):
            notes = RefundNote.parse_all(order.internal_comment)
            if not notes and order.payment_status_id == RE_CREDITING:
                notes = [self._acknowledge(order)]
            found += [refund_of(order, note) for note in notes if note.at >= start]
        return found

    def _acknowledge(self, order: Order) -> RefundNote:
        """A full refund of the lines not yet refunded, written as a marker and returned exactly as later polls parse it."""
        full = self.full_order(order.id)
        left = remaining_lines(ordered_lines(full), [])
        total = sum((line.amount or Decimal("0") for line in left), Decimal("0"))
        note = RefundNote(
            STORE,
            str(order.id),
            order.changed or self.now(),
            tuple(left),
            Decimal("0"),
            total,
            full.currency,
            "payment status set to re-crediting in the shop",
        )
        text = note.render()
        try:
            self.update_order_note(StoreOrderRef(id=str(order.id)), text)
        except HttpError:
            pass  # reported all the same; the next poll finds no marker, infers the same refund and tries again
        return RefundNote.parse_all(text)[0]
