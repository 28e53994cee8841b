"""The demo scenario: a Nordic fashion merchant with shops in seven markets (CN included) and its product catalog.

`DEMO_CATALOG` is plain data (one dict per variant) so the store simulators seed the very same products:
the GTINs of the transfers Miinto offers match a store's catalog.
"""

from __future__ import annotations

import random
from decimal import ROUND_FLOOR, Decimal

from miinto.sandbox.state import MiintoState
from miinto.schemas import to_minor_units

DEMO_USERNAME = "demo@nordicthreads.example"
DEMO_PASSWORD = "miinto-demo"
DEMO_SHOPS = [
    {"market": "DK", "localId": 1101, "name": "Nordic Threads København"},
    {"market": "SE", "localId": 1102, "name": "Nordic Threads Stockholm"},
    {"market": "NO", "localId": 1103, "name": "Nordic Threads Oslo"},
    {"market": "DE", "localId": 1104, "name": "Nordic Threads Berlin"},
    {"market": "NL", "localId": 1105, "name": "Nordic Threads Amsterdam"},
    {"market": "PL", "localId": 1106, "name": "Nordic Threads Warszawa"},
    {"market": "CN", "localId": 1107, "name": "Nordic Threads Shanghai"},
]
# How often each shop gets a transfer: Denmark is the home market.
_SHOP_WEIGHTS = (5, 3, 2, 2, 1, 1, 1)

# (item_group_id, brand, title, colour, colour code, sizes, EUR price). One colour per group, as the feed requires.
_PRODUCTS = [
    ("NT-1001", "Nordlys", "Wool blend overcoat", "Camel", "CAM", ("S", "M", "L"), "249.95"),
    ("NT-1002", "Nordlys", "Ribbed merino sweater", "Navy", "NAV", ("XS", "S", "M", "L", "XL"), "119.95"),
    ("HS-2001", "Havn Studio", "Straight leg jeans", "Washed blue", "WBL", ("28/32", "30/32", "32/32", "34/32"), "89.95"),
    ("HS-2002", "Havn Studio", "Organic cotton t-shirt", "White", "WHT", ("S", "M", "L", "XL"), "29.95"),
    ("HS-2003", "Havn Studio", "Organic cotton t-shirt", "Black", "BLK", ("S", "M", "L", "XL"), "29.95"),
    ("FJ-3001", "Fjord & Co", "Leather chelsea boots", "Black", "BLK", ("40", "41", "42", "43", "44"), "199.95"),
    ("FJ-3002", "Fjord & Co", "Canvas sneakers", "Off-white", "OFW", ("38", "39", "40", "41", "42"), "79.95"),
    ("SA-4001", "Selma Atelier", "Silk midi dress", "Emerald", "EME", ("34", "36", "38", "40"), "229.95"),
    ("SA-4002", "Selma Atelier", "Pleated wide trousers", "Sand", "SND", ("34", "36", "38", "40"), "139.95"),
    ("SA-4003", "Selma Atelier", "Leather tote bag", "Cognac", "COG", ("One Size",), "189.95"),
    ("BR-5001", "Brisk Outdoor", "Down puffer jacket", "Olive", "OLV", ("S", "M", "L", "XL"), "279.95"),
    ("BR-5002", "Brisk Outdoor", "Rib knit beanie", "Rust", "RST", ("One Size",), "24.95"),
]
# Fixed demo exchange rates from EUR; prices then end the way shops price them (…9 or ….95).
_RATES = {
    "EUR": Decimal("1"),
    "DKK": Decimal("7.46"),
    "SEK": Decimal("11.2"),
    "NOK": Decimal("11.6"),
    "PLN": Decimal("4.3"),
    "CNY": Decimal("7.8"),
    "CHF": Decimal("0.95"),
    "GBP": Decimal("0.86"),
}


def _local_price(eur: Decimal, currency: str) -> Decimal:
    rate = _RATES[currency]
    if rate == 1:
        return eur
    amount = eur * rate
    if rate > 4:
        return (amount // 10 * 10 + 9).quantize(Decimal("0.01"))
    return amount.to_integral_value(rounding=ROUND_FLOOR) + Decimal("0.95")


def ean13(serial: int) -> str:
    """A valid EAN-13 under a Danish GS1 prefix, for serial numbers below 100000."""
    body = f"5790001{serial:05d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _stock_level(index: int) -> int:
    # A mix a demo should show: mostly in stock, some sold out, some down to the last one.
    return 0 if index % 6 == 2 else 1 if index % 6 == 4 else 4 + index % 9


def _build_catalog() -> list[dict]:
    catalog = []
    for group, brand, title, color, color_code, sizes, eur in _PRODUCTS:
        for size in sizes:
            index = len(catalog)
            catalog.append(
                {
                    "gtin": ean13(index + 1),
                    "sku": f"{group}-{color_code}-{size.replace('/', 'x').replace(' ', '').upper()}",
                    "group": group,
                    "title": title,
                    "brand": brand,
                    "color": color,
                    "size": size,
                    "price": {currency: _local_price(Decimal(eur), currency) for currency in _RATES},
                    "stock": _stock_level(index),
                }
            )
    return catalog


DEMO_CATALOG: list[dict] = _build_catalog()
# A product Miinto offers that no store carries: the "not found in store" path.
UNKNOWN_ITEM = {"gtin": ean13(99999), "name": "Linen shirt", "brand": "Unlisted Label"}


def demo_transfer_lines(rng: random.Random, currency: str, catalog: list[dict] = DEMO_CATALOG) -> list[dict]:
    """One to three catalog positions; about one in five priced below the store price (Miinto's best price won)."""
    lines = []
    for item in rng.sample(catalog, rng.choice((1, 1, 1, 2, 2, 3))):
        price = to_minor_units(item["price"][currency], currency)
        if rng.random() < 0.2:
            price = price * rng.choice((70, 75, 80, 85)) // 100
        lines.append({"gtin": item["gtin"], "price": price, "quantity": 2 if rng.random() < 0.1 else 1})
    if rng.random() < 0.05:
        lines.append({**UNKNOWN_ITEM, "price": to_minor_units(_local_price(Decimal("59.95"), currency), currency), "quantity": 1})
    return lines


def seed_demo(state: MiintoState, transfers: int = 50) -> None:
    """The demo account and shops, the catalog in every shop, and `transfers` pending transfers from the last two days."""
    account = state.add_account(DEMO_USERNAME, DEMO_PASSWORD, DEMO_SHOPS)
    for shop_id in account.shop_ids:
        state.load_catalog(shop_id, DEMO_CATALOG)
    rng, now = state.random, state.clock()
    for _ in range(transfers):
        shop = state.shops[rng.choices(account.shop_ids, weights=_SHOP_WEIGHTS)[0]]
        state.create_transfer(shop.id, demo_transfer_lines(rng, shop.market.currency), created_at=now - rng.uniform(0, 2 * 86400))
