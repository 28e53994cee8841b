"""PrestaShop refunds: credit slips posted and claimed through order messages, the refunded state, and slips discovered."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from koongo.http import PermanentError
from platforms.base import (
    Money,
    RefundLine,
    RefundRequest,
    RefundResult,
    StoreOrderRef,
    StoreRefund,
    unique,
)
from platforms.markers import RefundNote
from platforms.mechanics import remaining_lines
from platforms.prestashop import slips
from platforms.prestashop.client import any_of, date_between, parse_local, xml_body
from platforms.prestashop.orders import OrderWrites
from platforms.prestashop.schemas import Created, Order, OrderHistory, OrderSlip


class SlipRefunds(OrderWrites):
    """Refunds as `order_slip`s; see the adapter's docstring for what this can and cannot record."""

    # Intents and claims live in the order's private messages, so a refund holds the note lock as well.
    refunds_in_notes = True

    def create_refund(self, request: RefundRequest) -> RefundResult:
        """Create the slip once and restock (the base: slips cannot), then bring the order state in line with all its slips."""
        result = super().create_refund(request)
        with self.note_lock(request.order):
            self._settle_refund_state(int(request.order.id))
        return result

    def _order(self, order_id: int) -> Order:
        return Order.model_validate(self.client.get(f"orders/{order_id}")["order"])

    def _slips_of(self, order_ids: list[int]) -> list[OrderSlip]:
        return [OrderSlip.model_validate(row) for row in self.client.list_any("order_slip", "id_order", order_ids, {"sort": "[id_ASC]"})]

    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        """The slip our claim names; or, after an interrupted create, the one unclaimed slip matching our intent."""
        order = self._order(int(request.order.id))
        messages = self.messages([order.id])[order.id]
        claimed = slips.claims(messages)
        if request.key in claimed:
            slip = OrderSlip.model_validate(self.client.get(f"order_slip/{claimed[request.key]}")["order_slip"])
            return self._refund(slip, order, request.order, request.key)
        floor = slips.intent_floor(messages, request.key)
        if floor is None:
            return None
        plan = slips.plan_slip(order, request, {})
        taken = set(claimed.values())
        # Slip ids only grow, so a slip above the intent's floor was posted after we announced ours.
        adoptable = [s for s in self._slips_of([order.id]) if s.id > floor and s.id not in taken and plan.matches(s)]
        if not adoptable:
            return None
        self.post_message(order.id, slips.claim_text(request.key, adoptable[0].id))
        return self._refund(adoptable[0], order, request.order, request.key)

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        order = self._order(int(request.order.id))
        currency = self.currency(order.id_currency).iso_code
        if request.currency != currency:
            raise PermanentError(f"{self.name} order {order.id} is in {currency}, the refund in {request.currency}")
        existing = self._slips_of([order.id])
        plan = slips.plan_slip(order, request, slips.refunded_quantities(existing))
        note = RefundNote("refund", request.key, self.now(), plan.lines, plan.shipping_incl, plan.total, currency, request.reason)
        self.post_message(order.id, slips.intent_text(note.render(), request.key, max((s.id for s in existing), default=0)))
        created = Created.model_validate(self.client.create("order_slip", plan.body(order))["order_slip"])
        self.post_message(order.id, slips.claim_text(request.key, created.id))
        slip = OrderSlip.model_validate(self.client.get(f"order_slip/{created.id}")["order_slip"])
        return self._refund(slip, order, request.order, request.key)

    def _refund(self, slip: OrderSlip, order: Order, ref: StoreOrderRef, key: str | None) -> StoreRefund:
        created = parse_local(slip.date_add, self.settings().zone) or self.now()
        return slips.slip_refund(slip, order, ref, self.currency(order.id_currency).iso_code, created, key)

    def _settle_refund_state(self, order_id: int) -> None:
        """The refunded state once every row is on a slip; the optional partly-refunded state before that."""
        order = self._order(order_id)
        taken = slips.refunded_quantities(self._slips_of([order_id]))
        full = all(taken.get(row.id, 0) >= row.product_quantity for row in order.associations.order_rows)
        refunded = self.credentials.refund_state_id or self.settings().refund_state_id
        state = refunded if full else self.credentials.partial_refund_state_id
        if state and order.current_state != state:
            body = xml_body("order_history", {"id_order": order_id, "id_order_state": state})
            self.client.create("order_histories", body, {"sendemail": 0})  # the marketplace tells the customer, not the shop

    # --- discovery -------------------------------------------------------------------------------
    def _refunds_since(self, start: datetime) -> list[StoreRefund]:
        """Slips added since `start`, and entries into the refunded state that no slip explains."""
        settings = self.settings()
        window = {"filter[date_add]": date_between(start, self.now(), settings.zone), "date": 1}
        added = [
            s
            for s in map(OrderSlip.model_validate, self.client.pages("order_slip", window, 100))
            if (parse_local(s.date_add, settings.zone) or start) >= start
        ]
        state = self.credentials.refund_state_id or settings.refund_state_id
        entered = [
            h
            for h in map(
                OrderHistory.model_validate,
                self.client.pages("order_histories", {**window, "filter[id_order_state]": any_of([state])}, 100),
            )
            if (parse_local(h.date_add, settings.zone) or start) >= start
        ]
        order_ids = unique([s.id_order for s in added] + [h.id_order for h in entered])
        if not order_ids:
            return []
        orders = {o.id: o for o in map(Order.model_validate, self.client.list_any("orders", "id", order_ids))}
        refs = self.order_refs(list(orders.values()))
        ours = {slip_id: key for messages in self.messages(order_ids).values() for key, slip_id in slips.claims(messages).items()}
        found = [
            self._refund(slip, orders[slip.id_order], refs[slip.id_order], ours.get(slip.id))
            for slip in added
            if slip.id_order in orders
        ]
        every_slip = self._slips_of([h.id_order for h in entered])
        for history in entered:
            order = orders.get(history.id_order)
            if order is not None:
                found += self._state_refund(history, order, refs[order.id], [s for s in every_slip if s.id_order == order.id])
        return found

    def _state_refund(
        self, history: OrderHistory, order: Order, ref: StoreOrderRef, order_slips: list[OrderSlip]
    ) -> list[StoreRefund]:
        """An order put into the refunded state: a refund of the rows no slip covers, if any (not item-level)."""
        covered = [
            RefundLine(line_id=str(detail.id_order_detail), quantity=detail.product_quantity)
            for slip in order_slips
            for detail in slip.associations.order_slip_details
        ]
        left = remaining_lines(slips.order_lines(order), covered)
        if not left:
            return []
        total = sum((line.amount or Decimal("0") for line in left), Decimal("0"))
        return [
            StoreRefund(
                refund_id=f"order_history/{history.id}",
                order=ref,
                lines=tuple(left),
                total=Money(amount=total, currency=self.currency(order.id_currency).iso_code),
                created_at=parse_local(history.date_add, self.settings().zone) or self.now(),
                item_level=False,
                note="order set to the refunded state without a credit slip for these rows",
            )
        ]
