"""PrestaShop orders: customer → addresses → cart → cart-scoped prices → order, our key on the address, notes as messages."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal

from koongo.http import PermanentError
from platforms.base import Address, StoreOrderDraft, StoreOrderRef, StoreProduct, unique
from platforms.mechanics import placeholder_email
from platforms.prestashop import order_items
from platforms.prestashop.client import NAME, any_of, filterable, xml_body
from platforms.prestashop.connection import PrestaShopConnection
from platforms.prestashop.order_items import OrderItem
from platforms.prestashop.schemas import (
    NO_DATE,
    Cart,
    Created,
    Customer,
    CustomerAddress,
    CustomerMessage,
    CustomerThread,
    Order,
    Product,
    SpecificPrice,
    Tax,
    TaxRule,
    order_marker,
    order_reference,
)

# PrestaShop's validators refuse these in names (isName) and in address aliases (isGenericName).
NOT_IN_NAMES = re.compile(r"[0-9!<>,;?=+()@#\"°{}_$%:¤|]")
NOT_IN_ALIASES = re.compile(r"[<>={}]")


def clean_name(value: str, fallback: str) -> str:
    """A name PrestaShop's isName accepts: the characters it refuses are dropped."""
    cleaned = " ".join(NOT_IN_NAMES.sub(" ", value or "").split())
    return cleaned or " ".join(NOT_IN_NAMES.sub(" ", fallback).split()) or "Customer"


class OrderWrites(PrestaShopConnection):
    """Order creation, lookup by our key, and notes kept as private order messages."""

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        self._placed: dict[str, Order] = {}  # orders this adapter just created, as their POST answered
        self._fresh: dict[str, Order] = {}  # of those, the ones whose note thread is still to be opened
        self._marked: dict[str, list[CustomerAddress]] = {}  # a lookup's delivery addresses carrying our key

    # --- lookup ----------------------------------------------------------------------------------
    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        marker = order_marker(reference)
        rows = self.client.list("addresses", {"filter[other]": any_of([marker])}, display="[id,id_customer,other]")
        marked = sorted((a for a in map(CustomerAddress.model_validate, rows) if a.other == marker), key=lambda a: a.id)
        # An attempt that stopped after writing the address (and maybe the cart) left them to resume from.
        self._marked[reference] = marked
        ids = [address.id for address in marked]
        if not ids:
            return None
        params = {"filter[id_address_delivery]": any_of(ids), "sort": "[id_ASC]"}
        orders = [Order.model_validate(row) for row in self.client.list("orders", params, display="[id,reference]")]
        return StoreOrderRef(id=str(orders[0].id), reference=reference, name=orders[0].reference or None) if orders else None

    def order_refs(self, orders: list[Order]) -> dict[int, StoreOrderRef]:
        """Each order as a reference, our key read back from its delivery address's marker."""
        address_ids = unique(order.id_address_delivery for order in orders if order.id_address_delivery)
        rows = self.client.list_any("addresses", "id", address_ids, display="[id,other]")
        markers = {address.id: address.other for address in map(CustomerAddress.model_validate, rows)}
        return {
            order.id: StoreOrderRef(
                id=str(order.id),
                reference=order_reference(markers.get(order.id_address_delivery, "")),
                name=order.reference or None,
            )
            for order in orders
        }

    # --- creation --------------------------------------------------------------------------------
    def create_order(self, draft: StoreOrderDraft, *, retry: bool = True) -> StoreOrderRef:
        """Create the order once, then its note: notes are messages, written after the order exists.

        A new order gets its note in two writes (thread, message) from what the order's answer carries; an order found
        by the lookup (a retry) goes through `update_order_note`, which reads first so the note is never doubled.
        """
        ref, created = self.create_order_once(draft, lambda: self._create_order(draft, {}), retry=retry)
        placed = self._placed.pop(ref.id, None)
        if placed is not None:
            self._leave_payment_error(placed)
        else:  # found by the lookup: an earlier attempt placed it, and may not have moved it on
            placed = self._settle_payment_error(int(ref.id))
        note = self._order_note_text(draft, placed)
        if note and created and ref.id in self._fresh:
            with self.note_lock(ref):
                self.open_thread_with(self._fresh.pop(ref.id), note)
        elif note:
            self.update_order_note(ref, note)
        return ref

    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        """Customer, address, cart (carrier in `delivery_option`), cart-scoped prices where needed, then the order.

        `total_paid` is the cart's own total: the Miinto product prices, and no shipping, because the carrier of Miinto
        orders is meant to be free (Miinto collected the shipping). Should PrestaShop still book the order as "Payment
        error" (a carrier that charges shipping), the order is moved to the paid state, which makes PrestaShop take the
        stock it skipped (`OrderHistory::changeIdOrderState`) (see `create_order`); lowering it ourselves would count
        twice as soon as the merchant cleared the error by hand.
        """
        settings = self.settings()
        currency = self.currency_by_iso(draft.currency)
        country = self.country_id(draft.shipping_address.country_code)
        items = order_items.resolve(self, draft, country)
        customer = self._customer(draft)
        rows = _rows(draft, items)
        cart = self._resumable_cart(draft.key, customer.id, currency.id, rows)
        if cart is not None:  # an earlier attempt wrote the addresses and the cart before it stopped
            delivery, invoice = cart.id_address_delivery, cart.id_address_invoice
            priced = self._cart_prices(cart.id)
        else:
            # The marker goes on the delivery address, which exists before the order, so a timeout cannot hide the order.
            delivery = self._marked_address(draft.key, customer.id) or self._address(
                customer.id, draft.shipping_address, draft, order_marker(draft.key), country
            )
            same = draft.billing_address == draft.shipping_address
            invoice = delivery if same else self._address(customer.id, draft.billing_address, draft)
            cart = self._new_cart(draft, currency.id, customer, delivery, invoice, rows)
            priced = set()
        carrier = self.credentials.carrier_id or settings.carrier_id
        net_total = gross_total = Decimal("0")
        for item, quantity, gross in rows:
            net = item.net(gross)
            net_total, gross_total = net_total + net * quantity, gross_total + gross * quantity
            if item.catalog_price == gross and currency.id == settings.currency_id:
                continue  # PrestaShop charges this price already (aliases are in the default currency): no cart price
            if (item.product_id, item.combination_id) in priced:
                continue  # written by the attempt this one resumes
            # A cart-scoped specific price is the webservice's way to let one cart carry our price; it is stored net.
            self.client.create("specific_prices", xml_body("specific_price", _cart_price(cart.id, item, net)))
        order = Order.model_validate(
            self.client.create(
                "orders",
                xml_body(
                    "order",
                    {
                        "id_address_delivery": delivery,
                        "id_address_invoice": invoice,
                        "id_cart": cart.id,
                        "id_currency": currency.id,
                        "id_lang": settings.lang_id,
                        "id_customer": customer.id,
                        "id_carrier": carrier,
                        "module": self.credentials.payment_module,
                        "payment": draft.marketplace,
                        "total_paid": gross_total,
                        "total_paid_real": gross_total,
                        "total_products": net_total.quantize(Decimal("0.01")),
                        "total_products_wt": gross_total,
                        "conversion_rate": currency.conversion_rate,
                    },
                ),
            )["order"]
        )
        ref = StoreOrderRef(id=str(order.id), reference=draft.key, name=order.reference or None)
        self._marked.pop(draft.key, None)
        self._placed[ref.id] = self._fresh[ref.id] = order
        return ref

    def _marked_address(self, key: str, customer_id: int) -> int | None:
        """The delivery address carrying our key that an earlier attempt wrote for this customer, as the lookup saw it."""
        return next((a.id for a in self._marked.get(key, ()) if a.id_customer == customer_id), None)

    def _resumable_cart(self, key: str, customer_id: int, currency_id: int, rows: list[tuple[OrderItem, int, Decimal]]) -> Cart | None:
        """The cart an earlier attempt wrote on our marked address (the lookup found no order on it), if it is this
        customer's, in this currency, and holds exactly our rows."""
        delivery = self._marked_address(key, customer_id)
        if delivery is None:
            return None  # a first attempt, or one that stopped before the address: nothing to read
        wanted = {(item.product_id, item.combination_id, quantity) for item, quantity, _ in rows}
        params = {"filter[id_address_delivery]": any_of([delivery]), "sort": "[id_ASC]"}
        carts = [Cart.model_validate(row) for row in self.client.list("carts", params)]
        return next((c for c in carts if c.id_customer == customer_id and c.id_currency == currency_id and c.holds(wanted)), None)

    def _cart_prices(self, cart_id: int) -> set[tuple[int, int]]:
        """(product, combination) of the cart-scoped prices already written for this cart."""
        rows = self.client.list("specific_prices", {"filter[id_cart]": any_of([cart_id])}, display="[id,id_product,id_product_attribute]")
        return {(price.id_product, price.id_product_attribute) for price in map(SpecificPrice.model_validate, rows)}

    def _new_cart(self, draft: StoreOrderDraft, currency_id: int, customer: Created, delivery: int, invoice: int,
                  rows: list[tuple[OrderItem, int, Decimal]]) -> Created:
        """The cart of our rows, its carrier in `delivery_option`."""
        carrier = self.credentials.carrier_id or self.settings().carrier_id
        body = xml_body(
            "cart",
            {
                "id_currency": currency_id,
                "id_lang": self.settings().lang_id,
                "id_customer": customer.id,
                "id_address_delivery": delivery,
                "id_address_invoice": invoice,
                "id_carrier": carrier,
                # validateOrder takes the carrier from here (Cart::getDeliveryOption), not from id_carrier.
                "delivery_option": json.dumps({str(delivery): f"{carrier},"}, separators=(",", ":")),
                "secure_key": customer.secure_key,
            },
            {
                "cart_rows": (
                    "cart_row",
                    [
                        {"id_product": item.product_id, "id_product_attribute": item.combination_id, "id_address_delivery": delivery,
                         "quantity": quantity}
                        for item, quantity, _ in rows
                    ],
                )
            },
        )
        return Created.model_validate(self.client.create("carts", body)["cart"])

    def _settle_payment_error(self, order_id: int) -> Order | None:
        """An order found by our key: still in "Payment error", it is moved on as a fresh one would have been."""
        order = Order.model_validate(
            self.client.get(f"orders/{order_id}", {"display": "[id,current_state,id_customer,id_lang,id_shop]"})["order"]
        )
        self._leave_payment_error(order)
        return order if order.current_state == self.settings().error_state_id else None

    def _leave_payment_error(self, order: Order) -> None:
        """validateOrder's "Payment error" skipped the stock; the paid state makes PrestaShop take it (changeIdOrderState)."""
        settings = self.settings()
        if order.current_state == settings.error_state_id:
            self.client.create(
                "order_histories",
                xml_body("order_history", {"id_order": order.id, "id_order_state": settings.paid_state_id}),
                {"sendemail": 0},
            )

    def _order_note_text(self, draft: StoreOrderDraft, placed: Order | None) -> str:
        """The note: the draft's, plus what the merchant must know about the totals of this order."""
        parts = [draft.note] if draft.note else []
        if draft.shipping_price:
            parts.append(
                f"Shipping of {draft.shipping_price} {draft.currency} was paid on {draft.marketplace} and is not in this "
                "order's PrestaShop total."
            )
        if placed is not None and placed.current_state == self.settings().error_state_id:
            parts.append(
                "The carrier charged shipping, so PrestaShop booked this order as 'Payment error'; Koongo moved it "
                "to the paid state, which took the stock. Use a free carrier for marketplace orders."
            )
        return "\n".join(parts)

    def _customer(self, draft: StoreOrderDraft) -> Created:
        """The customer with the draft's e-mail, else a new one (with a random password nobody knows)."""
        email = draft.email or placeholder_email(draft.key)
        if filterable(email):
            rows = self.client.list("customers", {"filter[email]": any_of([email])}, display="[id,email,secure_key]")
            for customer in map(Customer.model_validate, rows):
                if customer.email.lower() == email.lower():
                    return Created(id=customer.id, secure_key=customer.secure_key)
        address = draft.billing_address
        return Created.model_validate(
            self.client.create(
                "customers",
                xml_body(
                    "customer",
                    {
                        "firstname": clean_name(address.first_name, draft.marketplace),
                        "lastname": clean_name(address.last_name, "Customer"),
                        "email": email,
                        "passwd": secrets.token_urlsafe(18),
                        "id_lang": self.settings().lang_id,
                        "active": 1,
                    },
                ),
            )["customer"]
        )

    def _address(
        self, customer_id: int, address: Address, draft: StoreOrderDraft, marker: str | None = None, country: int | None = None
    ) -> int:
        alias = NOT_IN_ALIASES.sub("", f"{draft.marketplace} {draft.marketplace_order_id or draft.key}")[:32]
        created = self.client.create(
            "addresses",
            xml_body(
                "address",
                {
                    "id_customer": customer_id,
                    "id_country": country or self.country_id(address.country_code),
                    "alias": alias,
                    "firstname": clean_name(address.first_name, draft.marketplace),
                    "lastname": clean_name(address.last_name, "Customer"),
                    "company": address.company,
                    "address1": address.street,
                    "address2": address.street2,
                    "postcode": address.postcode,
                    "city": address.city,
                    "phone": address.phone or draft.phone,
                    "other": marker,
                },
            ),
        )
        return Created.model_validate(created["address"]).id

    def tax_rates(self, product_ids: list[int], country_id: int) -> dict[int, Decimal]:
        """Each product's tax rate (percent) in the delivery country, from its tax rules group's country-wide rule."""
        rows = self.client.list_any("products", "id", product_ids, display="[id,id_tax_rules_group]")
        groups = {product.id: product.id_tax_rules_group for product in map(Product.model_validate, rows)}
        params = {
            "filter[id_tax_rules_group]": any_of(unique(groups.values()) or [0]),
            "filter[id_country]": any_of([country_id]),
        }
        tax_of: dict[int, int] = {}
        for rule in sorted(map(TaxRule.model_validate, self.client.list("tax_rules", params)), key=lambda r: r.id_state):
            tax_of.setdefault(rule.id_tax_rules_group, rule.id_tax)  # the rule without a state comes first
        rows = self.client.list("taxes", {"filter[id]": any_of(unique(tax_of.values()) or [0])}, display="[id,rate]")
        rates = {tax.id: tax.rate for tax in map(Tax.model_validate, rows)}
        return {pid: rates.get(tax_of.get(group, 0), Decimal("0")) for pid, group in groups.items()}

    # --- notes: private order messages -------------------------------------------------------------
    def _order_note(self, order: StoreOrderRef) -> str:
        return "\n".join(message.message for message in self.messages([int(order.id)])[int(order.id)])

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        self.post_message(int(order.id), text)

    def messages(self, order_ids: list[int]) -> dict[int, list[CustomerMessage]]:
        """The private messages of each order, oldest first."""
        rows = self.client.list_any("customer_threads", "id_order", order_ids, display="[id,id_order]")
        order_of = {thread.id: thread.id_order for thread in map(CustomerThread.model_validate, rows)}
        found: dict[int, list[CustomerMessage]] = {order_id: [] for order_id in order_ids}
        rows = self.client.list_any(
            "customer_messages", "id_customer_thread", list(order_of), {"sort": "[id_ASC]"},
            display="[id,id_customer_thread,message,private,date_add]",
        )
        for message in map(CustomerMessage.model_validate, rows):
            if message.private == "1":
                found[order_of[message.id_customer_thread]].append(message)
        return found

    def post_message(self, order_id: int, text: str) -> None:
        """A private message on the order's thread, opening the thread first if the order has none."""
        rows = self.client.list("customer_threads", {"filter[id_order]": any_of([order_id]), "sort": "[id_ASC]"}, display="[id]")
        if rows:
            self._message(int(rows[0]["id"]), text)
            return
        order = Order.model_validate(self.client.get(f"orders/{order_id}", {"display": "[id,id_customer,id_lang,id_shop]"})["order"])
        self.open_thread_with(order, text)

    def open_thread_with(self, order: Order, text: str) -> None:
        """Open the order's private thread (closed: an internal note opens no customer case) with its first message."""
        thread_id = Created.model_validate(
            self.client.create(
                "customer_threads",
                xml_body(
                    "customer_thread",
                    {
                        "id_lang": order.id_lang,
                        "id_shop": order.id_shop,
                        "id_customer": order.id_customer,
                        "id_order": order.id,
                        "id_contact": 0,
                        "token": secrets.token_hex(6),
                        "status": "closed",
                    },
                ),
            )["customer_thread"]
        ).id
        self._message(thread_id, text)

    def _message(self, thread_id: int, text: str) -> None:
        self.client.create(
            "customer_messages",
            xml_body("customer_message", {"id_customer_thread": thread_id, "id_employee": 0, "message": text, "private": 1}),
        )


def _rows(draft: StoreOrderDraft, items: dict[str, OrderItem]) -> list[tuple[OrderItem, int, Decimal]]:
    """(item, quantity, unit price incl. tax) per cart row; a cart holds one row, so one price, per item."""
    rows: dict[tuple[int, int], tuple[OrderItem, int, Decimal]] = {}
    for line in draft.lines:
        item = items[line.identifier]
        key = (item.product_id, item.combination_id)
        _, quantity, price = rows.get(key, (item, 0, line.unit_price))
        if price != line.unit_price:
            raise PermanentError(f"{NAME} order {draft.key} has one item at two prices; a cart holds one price per item")
        rows[key] = (item, quantity + line.quantity, price)
    return list(rows.values())


def _cart_price(cart_id: int, item: OrderItem, net: Decimal) -> dict:
    """A specific price for one cart and item only: every shop, currency, country, group and customer, no dates."""
    return {
        "id_shop": 0,
        "id_shop_group": 0,
        "id_cart": cart_id,
        "id_product": item.product_id,
        "id_product_attribute": item.combination_id,
        "id_currency": 0,
        "id_country": 0,
        "id_group": 0,
        "id_customer": 0,
        "price": net,
        "from_quantity": 1,
        "reduction": 0,
        "reduction_tax": 1,
        "reduction_type": "amount",
        "from": NO_DATE,
        "to": NO_DATE,
    }
