"""Shopware 5 orders: a raw `POST /api/orders` with every price, tax and total computed here; notes in the internal comment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from koongo.http import PermanentError
from platforms.base import Address, StoreOrderDraft, StoreOrderRef, StoreProduct, append_note
from platforms.mechanics import cents, placeholder_email
from platforms.shopware5.catalog import VariantReads
from platforms.shopware5.client import NAME, filters
from platforms.shopware5.schemas import Created, Order

# Shopware insists on a salutation from the shop's list ("mr,ms" by default); the marketplace gives none.
SALUTATION = "mr"
DETAIL_OPEN = 0  # s_core_states id of an order position that is open
SERVER_OFFSET_MARGIN = timedelta(hours=14)


@dataclass(frozen=True)
class Totals:
    """What Shopware stores and never computes: gross and net invoice and shipping amounts."""

    invoice_amount: Decimal
    invoice_amount_net: Decimal
    invoice_shipping: Decimal
    invoice_shipping_net: Decimal


def order_totals(lines: list[tuple[Decimal, int, Decimal]], shipping: Decimal) -> Totals:
    """Totals of (unit price incl. tax, quantity, tax rate %) lines plus shipping incl. tax.

    Each line's net is rounded on its own, as Shopware's checkout does; shipping is taxed at the highest line rate,
    Shopware's default for dispatch tax ("highest tax rate of the cart").
    """
    gross = sum((unit * quantity for unit, quantity, _ in lines), Decimal("0"))
    net = sum((cents(unit * quantity * 100 / (100 + rate)) for unit, quantity, rate in lines), Decimal("0"))
    shipping_rate = max((rate for _, _, rate in lines), default=Decimal("0"))
    shipping_net = cents(shipping * 100 / (100 + shipping_rate))
    return Totals(cents(gross + shipping), net + shipping_net, cents(shipping), shipping_net)


class OrderWrites(VariantReads):
    """Order creation after ensuring the customer, lookup by `transactionId`, and notes in `internalComment`."""

    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        rows, _ = self.client.listing("orders", filters(("transactionId", None, reference)), limit=10)
        orders = [Order.model_validate(row) for row in rows]
        match = next((order for order in orders if order.transaction_id == reference), None)
        return StoreOrderRef(id=str(match.id), reference=reference, name=match.number) if match else None

    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        if draft.currency != self.currency():
            # Orders are stored with currencyFactor 1: another currency would misstate every amount in the shop's books.
            raise PermanentError(f"{NAME} shop {self.scope} sells in {self.currency()}, not in the order's {draft.currency}")
        creds = self.credentials
        articles: dict = {}
        details, lines = [], []
        for line in draft.lines:
            product = products[line.identifier]
            article = self.article(int(product.product_id), articles)
            if article.tax is None:
                raise PermanentError(f"{NAME} article {article.id} has no tax rate")
            rate = article.tax.tax
            lines.append((line.unit_price, line.quantity, rate))
            details.append(
                {
                    # The variant is linked by its number: Resource\Order whitelists `articleDetailID`, but the order
                    # detail has no setter for it (only the `articleDetail` association), so fromArray drops it.
                    "articleId": article.id,
                    "articleNumber": product.sku,
                    "articleName": line.title or product.title,
                    "price": float(line.unit_price),
                    "quantity": line.quantity,
                    "taxId": article.tax.id,
                    "taxRate": float(rate),
                    "statusId": DETAIL_OPEN,
                    "mode": 0,
                    "esdArticle": 0,
                    "shipped": 0,
                    "shippedGroup": 0,
                }
            )
        totals = order_totals(lines, draft.shipping_price)
        billing, shipping = self._address(draft.billing_address, draft), self._address(draft.shipping_address, draft)
        body = {
            "customerId": self._customer(draft, billing),
            "paymentId": creds.payment_id,
            "dispatchId": creds.dispatch_id,
            "shopId": creds.shop_id,
            "orderStatusId": creds.order_status_id,
            "paymentStatusId": creds.payment_status_id,
            "invoiceAmount": float(totals.invoice_amount),
            "invoiceAmountNet": float(totals.invoice_amount_net),
            "invoiceShipping": float(totals.invoice_shipping),
            "invoiceShippingNet": float(totals.invoice_shipping_net),
            "net": 0,
            "taxFree": 0,
            "currency": draft.currency,
            "currencyFactor": 1,
            "languageIso": str(creds.shop_id),
            "orderTime": (draft.placed_at or self.now()).isoformat(timespec="seconds"),
            "transactionId": draft.key,
            "internalComment": draft.note,
            "details": details,
            "billing": billing,
            "shipping": shipping,
        }
        created = Created.model_validate(self.client.write("POST", "orders", body))
        order = Order.model_validate(self.client.get(f"orders/{created.id}"))
        return StoreOrderRef(id=str(order.id), reference=draft.key, name=order.number)

    def _customer(self, draft: StoreOrderDraft, billing: dict) -> int:
        """The shop customer with the draft's e-mail, else a new guest account (Shopware orders need a customer)."""
        email = draft.email or placeholder_email(draft.key)
        rows, _ = self.client.listing("customers", filters(("email", None, email)), limit=5)
        for row in rows:
            if str(row.get("email", "")).lower() == email.lower():
                return int(row["id"])
        created = self.client.write(
            "POST",
            "customers",
            {
                "email": email,
                "firstname": billing["firstName"],
                "lastname": billing["lastName"],
                "salutation": SALUTATION,
                "groupKey": self.credentials.customer_group,
                "shopId": self.credentials.shop_id,
                "accountMode": 1,  # guest
                "billing": {
                    "firstname": billing["firstName"],
                    "lastname": billing["lastName"],
                    "salutation": SALUTATION,
                    "street": billing["street"],
                    "zipcode": billing["zipCode"],
                    "city": billing["city"],
                    "country": billing["countryId"],
                },
            },
        )
        return Created.model_validate(created).id

    def _address(self, address: Address, draft: StoreOrderDraft) -> dict:
        rows, _ = self.client.listing("countries", filters(("iso", None, address.country_code)), limit=5)
        country = next((int(row["id"]) for row in rows if str(row.get("iso", "")).upper() == address.country_code), None)
        if country is None:
            raise PermanentError(f"{NAME} shop {self.scope} has no country {address.country_code}")
        return {
            "firstName": address.first_name or draft.marketplace,
            "lastName": address.last_name or "Customer",
            "salutation": SALUTATION,
            "company": address.company or "",
            "street": address.street,
            "additionalAddressLine1": address.street2 or "",
            "zipCode": address.postcode,
            "city": address.city,
            "phone": address.phone or draft.phone or "",
            "countryId": country,
        }

    # --- notes: the internal comment, rewritten whole -------------------------------------------------
    def _order_note(self, order: StoreOrderRef) -> str:
        return Order.model_validate(self.client.get(f"orders/{order.id}")).internal_comment

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        self.client.write("PUT", f"orders/{order.id}", {"internalComment": append_note(current, text) or current})

    # --- polling ---------------------------------------------------------------------------------
    def orders_changed_since(self, start: datetime) -> list[Order]:
        """Orders whose `changed` is at or after `start`.

        The filter compares with the server's local time, which the API does not tell, so it asks from 14 hours
        earlier (the widest UTC offset) and keeps what the returned, offset-carrying `changed` puts at or after `start`.
        """
        earliest = (start - SERVER_OFFSET_MARGIN).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        params = [*filters(("changed", ">=", earliest)), ("sort[0][property]", "id"), ("sort[0][direction]", "ASC")]
        orders = (Order.model_validate(row) for row in self.client.pages("orders", params))
        return [order for order in orders if order.changed is not None and order.changed >= start]

    def full_order(self, order_id: int | str) -> Order:
        """One order with its details and dispatch."""
        return Order.model_validate(self.client.get(f"orders/{order_id}"))

    @staticmethod
    def ref(order: Order) -> StoreOrderRef:
        return StoreOrderRef(id=str(order.id), reference=order.transaction_id or None, name=order.number)
