"""The catalog and order drafts the contract suite runs with, in the shared demo-catalog format."""

from __future__ import annotations

from decimal import Decimal

from platforms.base import Address, OrderLine, StoreOrderDraft

# Prices include tax and divide exactly by 1.25, so simulators that store net prices round-trip them exactly.
CATALOG = [
    {
        "sku": "KNIT-NAVY-S",
        "gtin": "5712345000014",
        "title": "Cable Knit Jumper",
        "brand": "Nordkyst",
        "color": "Navy",
        "size": "S",
        "price": "100.00",
        "compare_at_price": "125.00",
        "stock": 10,
        "group": "knit-navy",
        "category": "Knitwear",
    },
    {
        "sku": "KNIT-NAVY-M",
        "gtin": "5712345000021",
        "title": "Cable Knit Jumper",
        "brand": "Nordkyst",
        "color": "Navy",
        "size": "M",
        "price": "100.00",
        "compare_at_price": "125.00",
        "stock": 10,
        "group": "knit-navy",
        "category": "Knitwear",
    },
    {
        "sku": "KNIT-NAVY-L",
        "gtin": "5712345000038",
        "title": "Cable Knit Jumper",
        "brand": "Nordkyst",
        "color": "Navy",
        "size": "L",
        "price": "100.00",
        "compare_at_price": "125.00",
        "stock": 0,
        "group": "knit-navy",
        "category": "Knitwear",
    },
    {
        "sku": "TEE-WHITE-M",
        "gtin": "5712345000045",
        "title": "Organic Tee",
        "brand": "Lys",
        "color": "White",
        "size": "M",
        "price": "25.00",
        "stock": 3,
        "group": "tee-white",
        "category": "T-shirts",
    },
    {
        "sku": "TEE-WHITE-L",
        "gtin": "5712345000052",
        "title": "Organic Tee",
        "brand": "Lys",
        "color": "White",
        "size": "L",
        "price": "25.00",
        "stock": 4,
        "group": "tee-white",
        "category": "T-shirts",
    },
    {
        "sku": "CAP-BLACK",
        "gtin": "5712345000069",
        "title": "Wool Cap",
        "brand": "Nordkyst",
        "color": "Black",
        "size": "One size",
        "price": "62.50",
        "stock": 5,
        "category": "Accessories",
    },
]
BY_SKU = {item["sku"]: item for item in CATALOG}

ADDRESS = Address(
    first_name="Karen",
    last_name="Blixen",
    street="Strandvejen 111",
    postcode="2960",
    city="Rungsted Kyst",
    country_code="DK",
    phone="+4512345678",
)

# Miinto's prices differ from the store's, so a store order showing them proves the marketplace price was kept.
DEFAULT_LINES = (("KNIT-NAVY-M", 1, "90.00"), ("TEE-WHITE-M", 2, "22.50"))


def make_draft(key: str, currency: str, lines=DEFAULT_LINES, note: str = "Miinto order 1-m!i!s-045-1234") -> StoreOrderDraft:
    """An order draft identified by SKU, as the sync builds it from a Miinto order."""
    return StoreOrderDraft(
        key=key,
        marketplace_order_id=f"miinto-{key}",
        identifier_attribute="sku",
        currency=currency,
        lines=tuple(
            OrderLine(
                identifier=sku,
                sku=sku,
                title=BY_SKU.get(sku, {}).get("title", sku),
                quantity=quantity,
                unit_price=Decimal(price),
                key=f"{key}-{sku}",
            )
            for sku, quantity, price in lines
        ),
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        email="karen@example.com",
        phone="+4512345678",
        shipping_method="Miinto Standard",
        shipping_price=Decimal("0"),
        note=note,
    )
