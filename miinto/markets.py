"""Miinto markets: a shop id's market from its dialling-code segment, with the market's name and currency (§3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Market:
    """One Miinto market: its two-letter code, the dialling code used in shop ids, its name and currency."""

    code: str
    dialling_code: str
    name: str
    currency: str


MARKETS: dict[str, Market] = {
    market.code: market
    for market in (
        Market("DK", "045", "Denmark", "DKK"),
        Market("SE", "046", "Sweden", "SEK"),
        Market("NO", "047", "Norway", "NOK"),
        Market("NL", "031", "Netherlands", "EUR"),
        Market("BE", "032", "Belgium", "EUR"),
        Market("PL", "048", "Poland", "PLN"),
        Market("CH", "041", "Switzerland", "CHF"),
        Market("ES", "034", "Spain", "EUR"),
        Market("IT", "039", "Italy", "EUR"),
        Market("FI", "358", "Finland", "EUR"),
        Market("FR", "033", "France", "EUR"),
        Market("DE", "049", "Germany", "EUR"),
        Market("UK", "044", "United Kingdom", "GBP"),
        Market("CN", "086", "China", "CNY"),
    )
}
_BY_DIALLING_CODE = {market.dialling_code: market for market in MARKETS.values()}


def market_of_shop(shop_id: str) -> Market | None:
    """The market of a unified shop id such as `1-m!i!s-045-1234` (its third segment), or None if unknown."""
    segments = shop_id.split("-")
    if len(segments) < 4:
        return None
    return _BY_DIALLING_CODE.get(segments[2])


def shop_id_for(market_code: str, local_id: int | str) -> str:
    """The unified shop id Miinto uses for a local shop id in a market."""
    return f"1-m!i!s-{MARKETS[market_code].dialling_code}-{local_id}"
