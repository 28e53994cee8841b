"""PrestaShop products and combinations as `StoreProduct`s: one item per combination, or per product without any.

Pure mapping: the adapter fetches the objects and the lookups (stock, option values, categories) and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from platforms.mechanics import COLOR_NAMES, SIZE_NAMES, cents, option_named, unique
from platforms.prestashop.schemas import Combination, Product
from platforms.values import Attribute, AttributeKind, StorePrice, StoreProduct

# identifier attribute code → the webservice field holding it (on products and on combinations alike)
FIELDS = {"sku": "reference", "gtin": "ean13", "upc": "upc", "isbn": "isbn", "mpn": "mpn"}
ATTRIBUTES = [
    Attribute(code="id", label="Product ID (product-combination for variants)", kind=AttributeKind.ID),
    Attribute(code="sku", label="Reference", kind=AttributeKind.SKU),
    Attribute(code="gtin", label="EAN-13", kind=AttributeKind.GTIN),
    Attribute(code="upc", label="UPC", kind=AttributeKind.CUSTOM),
    Attribute(code="isbn", label="ISBN", kind=AttributeKind.CUSTOM),
    Attribute(code="mpn", label="MPN", kind=AttributeKind.MPN),
]
# Asked on every product and combination read: PrestaShop computes tax-included prices itself, with and without
# the catalog reductions (specific prices), for the default country and customer group.
PRICE_ALIASES = {
    "price[final_price][use_tax]": "1",
    "price[original_price][use_tax]": "1",
    "price[original_price][use_reduction]": "0",
}
DERIVATION = "PrestaShop's own price with tax for the default country and group"


def item_id(product_id: int, combination_id: int | None) -> str:
    """Our `id` identifier: `12` for a product without combinations, `12-34` for combination 34 of product 12."""
    return f"{product_id}-{combination_id}" if combination_id else str(product_id)


def parse_item_id(value: str) -> tuple[int, int] | None:
    """(product id, combination id or 0) from an `id` identifier; None when it is not one."""
    head, _, tail = value.partition("-")
    if not head.isdigit() or (tail and not tail.isdigit()):
        return None
    return int(head), int(tail or 0)


def image_url(shop_url: str, image_id: int) -> str:
    """The original image file, where PrestaShop stores it: image 123 is /img/p/1/2/3/123.jpg."""
    return f"{shop_url}/img/p/{'/'.join(str(image_id))}/{image_id}.jpg"


@dataclass
class Lookups:
    """What items need beyond their own objects, fetched in batches by the adapter."""

    shop_url: str
    currency: str
    stock: dict[tuple[int, int], int] = field(default_factory=dict)
    option_values: dict[int, tuple[str, str]] = field(default_factory=dict)  # value id → (group name, value name)
    categories: dict[int, str] = field(default_factory=dict)


def items(products: list[Product], combinations: list[Combination], lookups: Lookups) -> list[StoreProduct]:
    """Sellable items: each given combination, and each product that has no combinations at all."""
    by_id = {product.id: product for product in products}
    found = [_item(product, None, lookups) for product in products if not product.associations.combinations]
    found += [
        _item(by_id[combination.id_product], combination, lookups)
        for combination in combinations
        if combination.id_product in by_id
    ]
    return found


def _item(product: Product, combination: Combination | None, lookups: Lookups) -> StoreProduct:
    source = combination or product
    identifiers = {"id": item_id(product.id, combination.id if combination else None)}
    identifiers |= {code: getattr(source, name) for code, name in FIELDS.items() if getattr(source, name)}
    options = {}
    for ref in combination.associations.product_option_values if combination else []:
        group, value = lookups.option_values.get(ref.id, ("", ""))
        options[group] = value
    images = [ref.id for ref in (combination.associations.images if combination else [])]
    images += [product.id_default_image] if product.id_default_image else [ref.id for ref in product.associations.images[:1]]
    final = _price(source.final_price, lookups.currency, "catalog reductions applied")
    original = _price(source.original_price, lookups.currency, "before reductions")
    if final and original and original.amount <= final.amount:
        original = final
    return StoreProduct(
        product_id=str(product.id),
        variant_id=str(combination.id) if combination else None,
        sku=source.reference or None,
        gtin=source.ean13 or None,
        identifiers=identifiers,
        title=product.name,
        brand=product.manufacturer_name or None,
        color=option_named(options, COLOR_NAMES),
        size=option_named(options, SIZE_NAMES),
        category=lookups.categories.get(product.id_category_default),
        image_urls=tuple(image_url(lookups.shop_url, image) for image in unique(images)),
        stock=lookups.stock.get((product.id, combination.id if combination else 0)),
        final_price=final,
        original_price=original or final,
    )


def _price(amount: Decimal | None, currency: str, what: str) -> StorePrice | None:
    if amount is None:
        return None
    return StorePrice(amount=cents(amount), currency=currency, tax_included=True, derivation=f"{DERIVATION}, {what}")
