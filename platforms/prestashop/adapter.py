"""The PrestaShop adapter: our protocol mapped onto the PrestaShop 1.7 / 8 webservice (store-platforms.md §4, §7)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_noop

from koongo.http import PermanentError
from platforms.base import Capability, StockChange, StoreShipment
from platforms.prestashop.client import any_of, date_between, parse_local, xml_body
from platforms.prestashop.products import ProductReads
from platforms.prestashop.refunds import SlipRefunds
from platforms.prestashop.schemas import Carrier, Order, OrderCarrier, OrderHistory, OrderState, StockAvailable


class PrestaShopAdapter(SlipRefunds, ProductReads):
    """PrestaShop through its webservice (key as Basic user name, JSON out, XML in). No refund API, no idempotency keys.

    What it cannot do, and what it does instead:
    - Refunds: there is no refund endpoint. `create_refund` posts an `order_slip` (credit slip) with one
      `order_slip_detail` per refunded row (quantity, amounts with and without tax), restocks through our own stock
      writes, and once every row is on a slip sets the refunded order state through `order_histories` (no e-mail);
      a partial refund sets the optional partly-refunded state instead. The slip is a record only: PrestaShop does
      not raise `order_detail.product_quantity_refunded`, issue a voucher or run its refund hooks, and no money moves.
      Full fidelity needs a small companion module: a webservice resource (hook `addWebserviceResources`) that
      dispatches the core `IssuePartialRefundCommand` (order-detail refunds, shipping, restock, credit slip, voucher).
    - Refund idempotency: a slip has no free-text field, so our key lives in the order's private messages, as an
      intent note (lines and amounts, and the newest slip id the order had) before the slip and a claim naming the
      slip after. A retry finds the claim, or adopts the one unclaimed slip newer than the intent with the same rows.
    - Refund discovery (no webhooks in core): slips by `date_add` (item-level: a slip names its rows), and entries
      into the refunded state, read as a refund of the rows no slip covers (not item-level). Date filters always
      send full date-times in the shop's time zone: a date-only bound drops the rest of its day (PrestaShop #10822).
    - Orders: no single call. `validateOrder` books an order as "Payment error" (and takes no stock) whenever
      `total_paid` differs from the cart total *including the carrier's shipping price*, and reads the carrier from the
      cart's `delivery_option` (else PS_CARRIER_DEFAULT), never from `id_carrier`. So: customer (found by e-mail) →
      delivery address (our key in `other`, written before the order and looked up before every create) → cart with
      the configured carrier in `delivery_option` → a cart-scoped `specific_price` (net) only for items whose Miinto
      price differs from PrestaShop's own price for the delivery country → `POST /api/orders` through the merchant's
      payment module with `total_paid` = the cart total = the Miinto product prices. Miinto's shipping is not in it:
      the carrier for Miinto orders should be a free one (Miinto collected the shipping), and the order's note says
      how much shipping Miinto took. Should the carrier charge anyway, the order is still booked "Payment error";
      the adapter then moves it to PS_OS_WS_PAYMENT, which makes PrestaShop take the stock it skipped (lowering it
      ourselves would count twice once the merchant cleared the error by hand), and the note says so.
      The calls on a first push (issue 26): the address lookup, one combinations listing (products only for
      references no combination carries) whose price aliases give ids, tax rate and price for the delivery country,
      the customer look-up (+ create when new), address, cart, one specific price per item sold off the catalog
      price, the order, and the note's thread and message: 8 for an order at catalog prices from a returning buyer,
      9 from a new one. A worker's first order per shop also reads configurations, currency and country (kept ten
      minutes); a retry that finds the order reads its state once.
    - Notes: private order messages (`customer_threads` / `customer_messages`); the order itself is never rewritten.
    - Stock: absolute only. `PUT /api/stock_availables/{id}` with the whole record read just before, under the per-SKU
      lock. A PUT that times out is AMBIGUOUS and never resent: an absolute value resent later could undo a sale made
      in the shop meanwhile. An ALREADY_APPLIED answer is exact (our ledger), not read back from the shop.
    - Shipments: whole orders only. The tracking number is on the order's carrier record, which has no change date,
      so orders updated since T in a shipped state are read; the URL is the carrier's template with `@` filled in.
    """

    code = "prestashop"
    # ITEM_LEVEL_REFUNDS: a slip records its rows and quantities; REFUND_RESTOCK is absent: the slip restocks nothing.
    capabilities = frozenset({Capability.REFUND_SYNC, Capability.ITEM_LEVEL_REFUNDS, Capability.ORDER_NOTES, Capability.ORDER_CLAIMS_STOCK})
    limitations = (
        gettext_noop("PrestaShop has no refund API: a refund is recorded as a credit slip with its lines and amounts, and the order is set "
        "to Refunded once every line is on a slip; no money moves, the order's lines are not marked refunded and no refund "
        "hooks run. Koongo restocks the items. A companion module running IssuePartialRefundCommand would do all of it."),
        gettext_noop("An order set to Refunded without a credit slip is read as a refund of every line no slip covers."),
        gettext_noop("Miinto prices reach the order through cart-scoped specific prices, and the order total is those prices only: the "
        "shipping Miinto charged is written in the order's note, not in its total. Choose a free carrier for Miinto orders; "
        "one that charges shipping makes PrestaShop book 'Payment error', and Koongo then moves the order to the paid state "
        "so PrestaShop takes the stock (the history shows both states)."),
        gettext_noop("Stock is written as absolute quantities; a write whose answer is lost is flagged for review, never sent again."),
        gettext_noop("Shipments are whole orders: PrestaShop has no line-level shipments."),
    )
    # No throttling in core, but shops run on shared hosting: one request at a time, gently.
    requests_per_second = 2.0
    request_burst = 2

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        self._located: dict[str, tuple[int, int]] = {}
        self._stock_records: dict[str, StockAvailable] = {}
        self._shipped_states: set[int] | None = None

    # --- stock: absolute, under the caller's per-SKU lock -----------------------------------------
    def _stock_read(self, sku: str) -> int:
        pid, aid = self.locate(sku)
        params = {"filter[id_product]": any_of([pid]), "filter[id_product_attribute]": any_of([aid])}
        rows = self.client.list("stock_availables", params)
        if not rows:
            raise PermanentError(f"{self.name} keeps no stock record for reference {sku}")
        record = StockAvailable.model_validate(rows[0])
        self._stock_records[sku] = record
        return record.quantity

    def _stock_write(self, sku: str, quantity: int, change: StockChange) -> int:
        record = self._stock_records.pop(sku)
        # A PUT replaces the object (PrestaShop nulls what it leaves out), so the whole record goes back.
        body = xml_body("stock_available", {**record.model_dump(), "quantity": quantity})
        self.client.replace("stock_availables", record.id, body)
        return quantity

    # --- shipments: whole orders, tracking on the order's carrier ----------------------------------
    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        zone = self.settings().zone
        window = {"filter[date_upd]": date_between(start, self.now(), zone), "date": 1}
        shipped = self._shipped()
        rows = self.client.pages("orders", window, 100, display="[id,reference,current_state,id_address_delivery,date_upd]")
        updated = [o for o in map(Order.model_validate, rows) if (parse_local(o.date_upd, zone) or start) >= start]
        if not updated:
            return []
        # Shipped is read from the history, not the current state: a refund right after the shipment moves the order
        # to "Refunded" before we look (a chaos run lost a shipment that way).
        by_id = {"sort": "[id_ASC]"}
        histories = [
            OrderHistory.model_validate(row)
            for row in self.client.list_any("order_histories", "id_order", [order.id for order in updated], by_id)
        ]
        went_out = {h.id_order for h in histories if h.id_order_state in shipped}
        orders = [order for order in updated if order.id in went_out]
        if not orders:
            return []
        carriers_of = [
            OrderCarrier.model_validate(row) for row in self.client.list_any("order_carriers", "id_order", [o.id for o in orders], by_id)
        ]
        carrier_ids = [oc.id_carrier for oc in carriers_of]
        carriers = {
            c.id: c for c in map(Carrier.model_validate, self.client.list_any("carriers", "id", carrier_ids, display="[id,name,url]"))
        }
        refs = self.order_refs(orders)
        shipments = []
        for order in orders:
            updated = parse_local(order.date_upd, zone) or self.now()
            # When it shipped: its first entry into a shipped state (PrestaShop keeps no time on the tracking number).
            entries = [parse_local(h.date_add, zone) for h in histories if h.id_order == order.id and h.id_order_state in shipped]
            shipped_at = min([at for at in entries if at] or [updated])
            for record in carriers_of:
                number = record.tracking_number.strip()
                if record.id_order != order.id or not number:
                    continue
                carrier = carriers.get(record.id_carrier)
                url = carrier.url.replace("@", number) if carrier and "@" in carrier.url else None
                shipments.append(
                    StoreShipment(
                        shipment_id=str(record.id),
                        order=refs[order.id],
                        carrier=carrier.name if carrier else None,
                        tracking_number=number,
                        tracking_url=url,
                        whole_order=True,
                        created_at=shipped_at,
                        updated_at=updated,
                    )
                )
        return shipments

    def _shipped(self) -> set[int]:
        if self._shipped_states is None:
            states = map(OrderState.model_validate, self.client.list("order_states", display="[id,shipped]"))
            self._shipped_states = {state.id for state in states if state.shipped == "1"}
        return self._shipped_states


ADAPTER = PrestaShopAdapter
