"""Pure conversions between Shopify's GraphQL payloads and the protocol's values, in both directions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from platforms.base import (
    Address,
    Money,
    RefundLine,
    ShipmentLine,
    StoreOrderDraft,
    StoreOrderRef,
    StorePrice,
    StoreProduct,
    StoreRefund,
    StoreShipment,
    Tracking,
    option_named,
    unique,
)
from platforms.markers import key_in
from platforms.mechanics import COLOR_NAMES, SIZE_NAMES
from platforms.shopify.schemas import Fulfillment, OrderSummary, OrderWithFulfillments, ProductVariant, Refund, Shop


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search(field: str, values: Sequence[str]) -> str:
    """A search query matching any of `values` on `field`; ids are numeric and go unquoted."""
    return " OR ".join(f"{field}:{value if field == 'id' else quoted(value)}" for value in values)


def updated_since(start: datetime) -> str:
    """Orders updated at or after `start` (whole seconds, rounded down, so nothing at `start` is missed)."""
    return f"updated_at:>='{start.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def money(amount: Decimal, currency: str) -> dict:
    return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}


def mailing_address(address: Address) -> dict:
    fields = {
        "firstName": address.first_name,
        "lastName": address.last_name,
        "company": address.company,
        "address1": address.street,
        "address2": address.street2,
        "zip": address.postcode,
        "city": address.city,
        "provinceCode": address.region,
        "countryCode": address.country_code,
        "phone": address.phone,
    }
    return {key: value for key, value in fields.items() if value}


def order_ref(order: OrderSummary) -> StoreOrderRef:
    return StoreOrderRef(id=order.id, reference=order.source_identifier, name=order.name)


def order_create_variables(draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> dict:
    """`orderCreate` variables: paid through the marketplace, stock claimed, our key as `sourceIdentifier`."""
    currency = draft.currency
    order = {
        "currency": currency,
        "lineItems": [
            {
                "variantId": products[line.identifier].variant_id,
                "quantity": line.quantity,
                "priceSet": money(line.unit_price, currency),
                "requiresShipping": True,
            }
            for line in draft.lines
        ],
        "billingAddress": mailing_address(draft.billing_address),
        "shippingAddress": mailing_address(draft.shipping_address),
        "shippingLines": [
            {"title": draft.shipping_method or draft.marketplace, "priceSet": money(draft.shipping_price, currency)}
        ],
        "financialStatus": "PAID",
        # A paid SALE through the marketplace gives later refunds a parent transaction; it moves no money.
        "transactions": [
            {"kind": "SALE", "status": "SUCCESS", "gateway": draft.marketplace, "amountSet": money(draft.total, currency)}
        ],
        "taxesIncluded": True,
        "sourceIdentifier": draft.key,
        "note": draft.note,
        "tags": [draft.marketplace],
    }
    if draft.email:
        order["email"] = draft.email
    if draft.phone:
        order["phone"] = draft.phone
    if draft.marketplace_order_id:
        order["customAttributes"] = [{"key": f"{draft.marketplace} order", "value": draft.marketplace_order_id}]
    if draft.placed_at:
        order["processedAt"] = draft.placed_at.isoformat()
    # The marketplace already sold the goods, so stock is claimed even past the inventory policy.
    options = {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY", "sendReceipt": False, "sendFulfillmentReceipt": False}
    return {"order": order, "options": options}


def store_product(variant: ProductVariant, shop: Shop) -> StoreProduct:
    options = {option.name: option.value for option in variant.selected_options}
    identifiers = {"id": variant.legacy_resource_id, "sku": variant.sku, "gtin": variant.barcode}
    for metafield in variant.metafields.nodes if variant.metafields else []:
        identifiers[f"metafield:{metafield.namespace}.{metafield.key}"] = metafield.value
    if shop.taxes_included:
        basis = "the shop enters prices with tax"
    else:
        basis = "the shop enters prices without tax; Shopify adds it by destination"
    price = StorePrice(
        amount=variant.price, currency=shop.currency_code, tax_included=shop.taxes_included, derivation=f"variant price; {basis}"
    )
    original = price
    if variant.compare_at_price is not None and variant.compare_at_price > variant.price:
        original = price.model_copy(
            update={"amount": variant.compare_at_price, "derivation": f"variant compare-at price; {basis}"}
        )
    product = variant.product
    images = [variant.image.url] if variant.image else []
    if product.featured_media and product.featured_media.preview and product.featured_media.preview.image:
        images.append(product.featured_media.preview.image.url)
    return StoreProduct(
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku or None,
        gtin=variant.barcode or None,
        identifiers={code: value for code, value in identifiers.items() if value},
        title=product.title,
        brand=product.vendor or None,
        color=option_named(options, COLOR_NAMES),
        size=option_named(options, SIZE_NAMES),
        category=product.category.name if product.category else product.product_type or None,
        image_urls=tuple(unique(images)),
        stock=variant.inventory_quantity,
        final_price=price,
        original_price=original,
    )


def store_shipment(order: OrderWithFulfillments, fulfillment: Fulfillment) -> StoreShipment:
    tracking = [Tracking(carrier=t.company, number=t.number, url=t.url) for t in fulfillment.tracking_info if t.number]
    first = tracking[0] if tracking else None
    return StoreShipment(
        shipment_id=fulfillment.id,
        order=order_ref(order),
        carrier=first.carrier if first else None,
        tracking_number=first.number if first else None,
        tracking_url=first.url if first else None,
        additional_tracking=tuple(tracking[1:]),
        lines=tuple(
            ShipmentLine(sku=item.line_item.sku, quantity=item.quantity, line_id=item.line_item.id)
            for item in fulfillment.fulfillment_line_items.nodes
        ),
        created_at=fulfillment.created_at,
        updated_at=fulfillment.updated_at,
    )


def store_refund(order: OrderSummary, refund: Refund) -> StoreRefund:
    total = refund.total_refunded_set.shop_money
    shipping_lines = refund.refund_shipping_lines.nodes if refund.refund_shipping_lines else []
    return StoreRefund(
        refund_id=refund.id,
        order=order_ref(order),
        lines=tuple(
            RefundLine(
                sku=item.line_item.sku,
                line_id=item.line_item.id,
                quantity=item.quantity,
                amount=item.subtotal_set.shop_money.amount if item.subtotal_set else None,
            )
            for item in refund.refund_line_items.nodes
        ),
        shipping_amount=sum((line.subtotal_amount_set.shop_money.amount for line in shipping_lines), Decimal("0")),
        total=Money(amount=total.amount, currency=total.currency_code),
        created_at=refund.created_at,
        origin_key=key_in(refund.note),
        note=refund.note or "",
    )
