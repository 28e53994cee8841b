"""Believable per-market data for the simulator: shipping providers, customer names and addresses."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

HOME, COMPANY, PARCEL_SHOP = "HomeDelivery", "CompanyDelivery", "ParcelShopDelivery"
ALL_TYPES = (HOME, COMPANY, PARCEL_SHOP)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    delivery_types: tuple[str, ...] = ALL_TYPES


def _providers(market: str, *entries: tuple[str, str, tuple[str, ...]]) -> list[Provider]:
    return [Provider(f"{slug}-{market.lower()}", name, types) for slug, name, types in entries]


PROVIDERS: dict[str, list[Provider]] = {
    "DK": _providers("DK", ("gls", "GLS", ALL_TYPES), ("postnord", "PostNord", ALL_TYPES), ("dao", "DAO", (HOME, PARCEL_SHOP))),
    "SE": _providers(
        "SE", ("postnord", "PostNord", ALL_TYPES), ("dhl", "DHL Freight", (HOME, COMPANY)), ("budbee", "Budbee", (HOME,))
    ),
    "NO": _providers("NO", ("posten", "Posten Bring", ALL_TYPES), ("postnord", "PostNord", (HOME, PARCEL_SHOP))),
    "NL": _providers("NL", ("postnl", "PostNL", ALL_TYPES), ("dhl", "DHL Parcel", ALL_TYPES)),
    "BE": _providers("BE", ("bpost", "bpost", ALL_TYPES), ("dpd", "DPD", (HOME, COMPANY))),
    "PL": _providers("PL", ("inpost", "InPost", (PARCEL_SHOP,)), ("dpd", "DPD", (HOME, COMPANY))),
    "CH": _providers(
        "CH",
        ("swisspost", "Swiss Post", ALL_TYPES),
    ),
    "ES": _providers("ES", ("correos", "Correos", ALL_TYPES), ("seur", "SEUR", (HOME, COMPANY))),
    "IT": _providers("IT", ("brt", "BRT", ALL_TYPES), ("poste", "Poste Italiane", (HOME, PARCEL_SHOP))),
    "FI": _providers(
        "FI",
        ("posti", "Posti", ALL_TYPES),
    ),
    "FR": _providers("FR", ("colissimo", "Colissimo", (HOME, COMPANY)), ("mondialrelay", "Mondial Relay", (PARCEL_SHOP,))),
    "DE": _providers(
        "DE", ("dhl", "DHL Paket", ALL_TYPES), ("dpd", "DPD", (HOME, COMPANY)), ("hermes", "Hermes", (HOME, PARCEL_SHOP))
    ),
    "UK": _providers(
        "UK", ("royalmail", "Royal Mail", ALL_TYPES), ("evri", "Evri", (HOME, PARCEL_SHOP)), ("dpd", "DPD", (HOME, COMPANY))
    ),
    "CN": _providers("CN", ("sf", "SF Express", ALL_TYPES), ("ems", "China EMS", (HOME, COMPANY))),
}


@dataclass(frozen=True)
class Locale:
    country: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (postcode, city)
    phone_prefix: str


_NORDIC_FIRST = ("Freja", "Ida", "Emma", "Oscar", "William", "Noah", "Alma", "Lucas")
LOCALES: dict[str, Locale] = {
    "DK": Locale(
        "DK",
        _NORDIC_FIRST,
        ("Jensen", "Nielsen", "Hansen", "Pedersen"),
        ("Vesterbrogade", "Nørrebrogade", "Strandvejen"),
        (("1620", "København V"), ("8000", "Aarhus C")),
        "+45",
    ),
    "SE": Locale(
        "SE",
        _NORDIC_FIRST,
        ("Andersson", "Johansson", "Karlsson", "Nilsson"),
        ("Drottninggatan", "Sveavägen", "Linnégatan"),
        (("11151", "Stockholm"), ("41103", "Göteborg")),
        "+46",
    ),
    "NO": Locale(
        "NO",
        _NORDIC_FIRST,
        ("Hansen", "Johansen", "Olsen", "Larsen"),
        ("Karl Johans gate", "Bogstadveien"),
        (("0154", "Oslo"), ("5003", "Bergen")),
        "+47",
    ),
    "NL": Locale(
        "NL",
        ("Sanne", "Daan", "Lotte", "Sem"),
        ("de Jong", "Jansen", "de Vries", "Bakker"),
        ("Prinsengracht", "Coolsingel"),
        (("1015 DZ", "Amsterdam"), ("3011 AD", "Rotterdam")),
        "+31",
    ),
    "BE": Locale(
        "BE",
        ("Louise", "Arthur", "Elise", "Noah"),
        ("Peeters", "Janssens", "Maes"),
        ("Meir", "Rue Neuve"),
        (("2000", "Antwerpen"), ("1000", "Bruxelles")),
        "+32",
    ),
    "PL": Locale(
        "PL",
        ("Zofia", "Jakub", "Julia", "Antoni"),
        ("Nowak", "Kowalski", "Wiśniewska"),
        ("ul. Marszałkowska", "ul. Floriańska"),
        (("00-624", "Warszawa"), ("31-019", "Kraków")),
        "+48",
    ),
    "CH": Locale(
        "CH",
        ("Mia", "Leon", "Lara", "Luca"),
        ("Müller", "Meier", "Schmid"),
        ("Bahnhofstrasse", "Marktgasse"),
        (("8001", "Zürich"), ("3011", "Bern")),
        "+41",
    ),
    "ES": Locale(
        "ES",
        ("Lucía", "Hugo", "Martina", "Mateo"),
        ("García", "Martínez", "López"),
        ("Calle de Alcalá", "Passeig de Gràcia"),
        (("28014", "Madrid"), ("08007", "Barcelona")),
        "+34",
    ),
    "IT": Locale(
        "IT",
        ("Sofia", "Leonardo", "Giulia", "Francesco"),
        ("Rossi", "Russo", "Ferrari"),
        ("Via del Corso", "Via Montenapoleone"),
        (("00186", "Roma"), ("20121", "Milano")),
        "+39",
    ),
    "FI": Locale(
        "FI",
        ("Aino", "Eino", "Helmi", "Leo"),
        ("Korhonen", "Virtanen", "Mäkinen"),
        ("Aleksanterinkatu", "Hämeenkatu"),
        (("00100", "Helsinki"), ("33100", "Tampere")),
        "+358",
    ),
    "FR": Locale(
        "FR",
        ("Louise", "Gabriel", "Jade", "Raphaël"),
        ("Martin", "Bernard", "Dubois"),
        ("Rue de Rivoli", "Rue de la République"),
        (("75001", "Paris"), ("69002", "Lyon")),
        "+33",
    ),
    "DE": Locale(
        "DE",
        ("Emilia", "Noah", "Hannah", "Paul"),
        ("Müller", "Schmidt", "Schneider"),
        ("Torstraße", "Maximilianstraße"),
        (("10119", "Berlin"), ("80539", "München")),
        "+49",
    ),
    "UK": Locale(
        "GB",
        ("Olivia", "George", "Amelia", "Harry"),
        ("Smith", "Jones", "Taylor"),
        ("Carnaby Street", "Deansgate"),
        (("W1F 9PB", "London"), ("M3 4EN", "Manchester")),
        "+44",
    ),
    "CN": Locale(
        "CN",
        ("Wei", "Fang", "Jing", "Lei"),
        ("Wang", "Li", "Zhang", "Liu"),
        ("Nanjing Road", "Wangfujing Street"),
        (("200001", "Shanghai"), ("100006", "Beijing")),
        "+86",
    ),
}


def fake_customer(rng: random.Random, market: str) -> tuple[dict, dict]:
    """Billing information and a delivery address (type included) for one order, in Miinto's wire shape."""
    locale = LOCALES[market]
    first, last = rng.choice(locale.first_names), rng.choice(locale.last_names)
    postcode, city = rng.choice(locale.cities)
    address = {
        "street": f"{rng.choice(locale.streets)} {rng.randint(1, 140)}",
        "postcode": postcode,
        "city": city,
        "countryCode": locale.country,
    }
    email_name = unicodedata.normalize("NFKD", f"{first}.{last}".lower().replace(" ", "")).encode("ascii", "ignore").decode()
    billing = {
        "name": f"{first} {last}",
        "email": f"{email_name}.{rng.randint(10, 99)}@example.com",
        "phone": f"{locale.phone_prefix} {rng.randint(10_000_000, 99_999_999)}",
        "address": address,
    }
    delivery_type = rng.choices(ALL_TYPES, weights=(6, 1, 3))[0]
    delivery = {"name": billing["name"], "type": delivery_type, "address": dict(address)}
    if delivery_type == COMPANY:
        delivery["name"] = f"{billing['name']} c/o {last} ApS"
    return billing, delivery


def providers_for(market: str, delivery_type: str | None = None) -> list[Provider]:
    """A market's providers, or only those that deliver this way."""
    return [p for p in PROVIDERS[market] if delivery_type is None or delivery_type in p.delivery_types]
