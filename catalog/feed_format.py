"""The Miinto product feed's format (miinto-api.md §12): headers, cleaning, quoting, image and gender rules, one row.

Pure functions with no I/O; `catalog.feed` streams the rows and records what was exported.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from miinto.schemas import to_minor_units

# REF's currencies plus CHF (PT, Tradebyte); every header is sent even when its cells stay empty (§12.1).
CURRENCIES = ("NOK", "DKK", "SEK", "EUR", "PLN", "GBP", "CNY", "CHF")
LANGUAGES = ("DA", "SV", "NO", "NL", "EN", "DE", "PL", "FI", "ES", "FR", "IT")
HEADERS: tuple[str, ...] = (
    "id", "item_group_id", "c:style_id:string", "gtin", "brand", "title", "color", "size", "product_type", "gender",
    "image_link", "additional_image_link", "c:stock_level:integer",
    *(name for cur in CURRENCIES for name in (f"c:retail_price_{cur}:integer", f"c:discount_retail_price_{cur}:integer")),
    "material", "madein", "description", "c:season_tag:string", "washing", "hs_code",
    *(f"c:title_{lang}:string" for lang in LANGUAGES),
    *(f"c:description_{lang}:string" for lang in LANGUAGES),
)  # fmt: skip
HEADER_LINE = "\t".join(HEADERS) + "\n"
_POSITION = {name: index for index, name in enumerate(HEADERS)}
# No data fills the columns after `description` (season, washing, HS code, translations): a row ends in those empty cells.
_FILLED = _POSITION["description"] + 1
_EMPTY_TAIL = "\t" * (len(HEADERS) - _FILLED) + "\n"

BRAND_MAX, COLOR_MAX, SIZE_MAX = 149, 254, 254
MAX_ADDITIONAL_IMAGES = 10
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".webp")
ADDITIONAL_IMAGE_EXTENSIONS = (".jpg", ".jpeg")  # FEED: additional images are JPG only
_TAG = re.compile(r"<[^>]*>")
# An HTTPS URL with a lower-case host and only characters that need no encoding, ending in an image extension.
_PLAIN_IMAGE = re.compile(
    r"https://[a-z0-9.-]+(?::\d+)?/[A-Za-z0-9/%:@!$&'()*+,;=._~-]*\.(?:jpe?g|webp|JPE?G|WEBP)(?:\?[A-Za-z0-9/%:@!$&'()*+,;=._~?-]*)?"
)
_SPACE = re.compile(r"\s+")
_GTIN = re.compile(r"\d{9,13}")
_CATEGORY_SEPARATORS = re.compile(r"\s*(?:>|/|\|)\s*")

# Store wording for who a product is for, in the languages of Miinto's markets; kids have no gender value (§12.3).
_GENDER_WORDS = {
    "M": {"m", "men", "mens", "men's", "man", "male", "herre", "herrer", "herr", "herren", "homme", "hommes", "uomo", "heren",
          "hombre", "mężczyźni", "miehet", "boys"},
    "F": {"f", "women", "womens", "women's", "woman", "female", "ladies", "lady", "dame", "damer", "dam", "damen", "femme",
          "femmes", "donna", "dames", "mujer", "kobiety", "naiset", "girls"},
    "U": {"u", "unisex"},
}  # fmt: skip
_GENDER_BY_WORD = {word: code for code, words in _GENDER_WORDS.items() for word in words}


def clean_text(value) -> str:
    """One line of plain text: HTML tags (also escaped ones) removed, tabs and newlines folded into single spaces."""
    if value is None:
        return ""
    text = str(value)
    if "<" not in text and "&" not in text and "  " not in text and text.isprintable() and text == text.strip():
        return text  # already one clean line, as the catalog stores it: the feed reads 100,000 of these per pull
    text = _TAG.sub(" ", text)
    if "&" in text:
        text = _TAG.sub(" ", html.unescape(text))
    return _SPACE.sub(" ", text).strip()


def tsv_cell(value: str) -> str:
    """REF's quoting: a value with a space (or a quote) is wrapped in quotes, with its quotes doubled."""
    if " " in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def miinto_gender(value) -> str:
    """M, F or U from store wording such as 'Women > Dresses' or 'Herre'; empty when it says nothing (or kids)."""
    for segment in _CATEGORY_SEPARATORS.split(clean_text(value).lower()):
        for word in (segment, *segment.split()):
            code = _GENDER_BY_WORD.get(word)
            if code:
                return code
    return ""


def feed_image(url: str, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> str | None:
    """The URL percent-encoded, if it is an HTTPS JPG or WEBP image (§12.3); else None."""
    if extensions is IMAGE_EXTENSIONS and isinstance(url, str) and _PLAIN_IMAGE.fullmatch(url):
        return url
    parts = urlsplit(str(url).strip())
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    if posixpath.splitext(unquote(parts.path))[1].lower() not in extensions:
        return None
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return urlunsplit(("https", parts.netloc.lower(), path, query, ""))


def feed_title(title: str, brand: str) -> str:
    """The title without a leading brand: Miinto rejects titles that repeat the brand (§12.5)."""
    if brand and title.lower().startswith(brand.lower() + " "):
        return title[len(brand) :].strip()
    return title


def feed_material(material: str) -> str:
    """Material as JSON keyed by locale: a store value that already is such JSON is kept, plain text becomes English."""
    material = material.strip()
    if not material:
        return ""
    if material.startswith("{"):
        try:
            parsed = json.loads(material)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return json.dumps({str(k): clean_text(v) for k, v in parsed.items()}, ensure_ascii=False, separators=(",", ":"))
    return json.dumps({"en_EN.utf8": clean_text(material)}, ensure_ascii=False, separators=(",", ":"))


def feed_prices(product, currency: str) -> tuple[Decimal | None, Decimal | None]:
    """(retail, discount) in the market currency, VAT included, or (None, None): we never convert currencies.

    Discount equals retail when the item is not on sale, as in REF.
    """
    if product.price_currency != currency or product.prices_include_tax is False:
        return None, None
    discount = product.final_price if product.final_price is not None else product.original_price
    if discount is None:
        return None, None
    original = product.original_price
    retail = original if original is not None and original > discount else discount
    return retail, discount


@dataclass
class FeedRow:
    """One product's row, or why it has none: the TSV line (None when left out), what it exports, and any mapping note."""

    line: str | None
    stock: int | None = None
    retail: Decimal | None = None
    discount: Decimal | None = None
    note: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowRules:
    """What one connection's feed needs to know to build a row."""

    currency: str
    attribute: str = "id"
    stock_buffer: int = 0
    # a duplicated feed id, stock key (group, brand, colour, size) or GTIN → the product that keeps it (see catalog.feed)
    id_holders: dict = field(default_factory=dict)
    key_holders: dict = field(default_factory=dict)
    gtin_holders: dict = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _minor_units(amount: Decimal, currency: str) -> str:
    # A catalog has few price points, and a pull prices 100,000 rows.
    return str(to_minor_units(amount, currency))


def feed_stock(product, buffer: int) -> int | None:
    """The stock Miinto sees: max(0, stock − buffer); 0 once the product is gone from the store; None when unknown."""
    if product.removed_at is not None:
        return 0
    if product.stock is None:
        return None
    return max(0, product.stock - buffer)


@lru_cache(maxsize=8192)
def _cleaned(value) -> str:
    # Brands, colours, sizes, groups and titles repeat across a catalog's variants: clean each distinct value once.
    return clean_text(value)


@lru_cache(maxsize=8192)
def _cell(value: str) -> str:
    return tsv_cell(value) if value else ""


@lru_cache(maxsize=256)
def _description_cell(description: str) -> str:
    # A product's variants share one description and come one after another; long texts, so only a few are kept.
    return _cell(clean_text(description))


@lru_cache(maxsize=4096)
def _product_type_cell(category) -> str:
    return _cell(" > ".join(part for part in _CATEGORY_SEPARATORS.split(clean_text(category)) if part))


@lru_cache(maxsize=4096)
def _material_cell(material) -> str:
    return _cell(feed_material(material or ""))


@lru_cache(maxsize=256)
def _made_in(made_in) -> str:
    return made_in.upper() if len(made_in or "") == 2 and made_in.isalpha() else ""


@lru_cache(maxsize=64)
def _price_cells(currency: str) -> tuple[str, str]:
    """The tabs before the market's retail price cell and after its discount cell, inside the 16 price columns."""
    before = _POSITION[f"c:retail_price_{currency}:integer"] - _POSITION["c:retail_price_NOK:integer"]
    after = _POSITION["c:discount_retail_price_CHF:integer"] - _POSITION[f"c:discount_retail_price_{currency}:integer"]
    return "\t" * before, "\t" * after


_NO_PRICES = "\t" * (2 * len(CURRENCIES) - 1)


def feed_row(product, rules: RowRules) -> FeedRow:
    """Build one product's row, or list every reason it cannot have one (§12.5's rejection causes).

    `product` is a `catalog.feed.FeedProduct`: the product's columns plus its feed id and stock key, read in SQL. A pull
    builds 100,000 of these, so the line is joined once from cached, already quoted cells.
    """
    raw_key = (product.key_group, product.key_brand, product.key_color, product.key_size)
    group, brand, color, size = _cleaned(raw_key[0]), _cleaned(raw_key[1]), _cleaned(raw_key[2]), _cleaned(raw_key[3])
    raw_id = product.feed_id
    feed_id = clean_text(raw_id)
    title = feed_title(_cleaned(product.title), brand)
    images = [image for image in (feed_image(url) for url in product.image_urls or []) if image]
    stock = feed_stock(product, rules.stock_buffer)
    if not (feed_id and brand and color and size and group and title and images and stock is not None) or (
        len(brand) > BRAND_MAX or len(color) > COLOR_MAX or len(size) > SIZE_MAX
    ) or (rules.id_holders and rules.id_holders.get(raw_id, product.pk) != product.pk) or (
        rules.key_holders and rules.key_holders.get(raw_key, product.pk) != product.pk
    ):
        problems = _row_problems(product, rules, raw_key, feed_id, (brand, color, size, group, title), images, stock)
        return FeedRow(None, problems=problems, note="Left out of the feed: " + "; ".join(problems))

    notes = []
    gtin = product.gtin if _GTIN.fullmatch(product.gtin or "") else ""
    if product.gtin and not gtin:
        notes.append("GTIN is not 9–13 digits; sent without it")
    elif gtin and rules.gtin_holders.get(gtin, product.pk) != product.pk:
        gtin = ""
        notes.append("GTIN repeats another row's; sent without it")
    retail, discount = feed_prices(product, rules.currency)
    if product.prices_include_tax is False and product.price_currency == rules.currency:
        notes.append("the store's prices exclude VAT; price cells left empty")
    if len(images) > 1:
        additional = ",".join(
            [image for image in images[1:] if image.split("?", 1)[0].lower().endswith(ADDITIONAL_IMAGE_EXTENSIONS)][:MAX_ADDITIONAL_IMAGES]
        )
    else:
        additional = ""
    if discount is None:
        prices = _NO_PRICES
    else:
        before, after = _price_cells(rules.currency)
        prices = f"{before}{_minor_units(retail, rules.currency)}\t{_minor_units(discount, rules.currency)}{after}"
    gender = product.gender if product.gender in ("M", "F", "U") else ""
    style = _cleaned(product.style_id) or group
    description = _description_cell(product.description) if product.description else ""
    # The cells in HEADERS order (see `_POSITION`); numbers and the GTIN never need quoting.
    line = (
        f"{tsv_cell(feed_id)}\t{_cell(group)}\t{_cell(style)}\t{gtin}\t{_cell(brand)}\t{_cell(title)}\t{_cell(color)}\t"
        f"{_cell(size)}\t{_product_type_cell(product.category)}\t{gender}\t{tsv_cell(images[0])}\t{tsv_cell(additional)}\t{stock}\t"
        f"{prices}\t"
        f"{_material_cell(product.material)}\t{_made_in(product.made_in)}\t{description}{_EMPTY_TAIL}"
    )
    return FeedRow(line, stock=stock, retail=retail, discount=discount, note="; ".join(notes))


def _row_problems(product, rules: RowRules, raw_key: tuple, feed_id: str, values: tuple, images: list, stock) -> list[str]:
    """Every reason a row is left out, in the order the merchant reads them."""
    brand, color, size, group, title = values
    problems = []
    if not feed_id:
        problems.append(f"no {rules.attribute} value to use as the feed id")
    elif rules.id_holders.get(product.feed_id, product.pk) != product.pk:
        problems.append(f"feed id {feed_id} is also used by product {rules.id_holders[product.feed_id]}")
    for label, value, limit in (("brand", brand, BRAND_MAX), ("colour", color, COLOR_MAX), ("size", size, SIZE_MAX)):
        if not value:
            problems.append(f"no {label}")
        elif len(value) > limit:
            problems.append(f"{label} longer than {limit} characters")
    if not group:
        problems.append("no item group")
    if not title:
        problems.append("no title")
    if not images:
        problems.append("no HTTPS JPG or WEBP image")
    if stock is None:
        problems.append("no stock level in the store")
    # The holders come from the database's values (see catalog.feed), so they are looked up by the stored ones.
    holder = rules.key_holders.get(raw_key, product.pk)
    if holder != product.pk:
        problems.append(f"duplicate key: item group, brand, colour and size as product {holder}")
    return problems
