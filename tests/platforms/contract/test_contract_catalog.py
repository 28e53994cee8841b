"""Contract: construction, connection test, identifier attributes, catalog listing and lookup, for every platform."""

from decimal import Decimal

import pytest

from koongo.http import AuthError
from platforms.base import AttributeKind, Capability, StoreCredentials
from tests.platforms.contract.catalog import BY_SKU, CATALOG


def test_the_adapter_declares_code_name_capabilities_and_credentials(harness):
    cls = harness.adapter_class
    assert cls.code == harness.code
    assert cls.name
    assert all(isinstance(capability, Capability) for capability in cls.capabilities)
    assert issubclass(cls.credentials_model, StoreCredentials)
    credentials = cls.credentials_model.model_validate(harness.app.demo_credentials())
    assert cls.credentials_model.install == "oauth" or cls.credentials_model.form_fields()
    for name, value in harness.app.demo_credentials().items():
        if any(field.secret and field.name == name for field in cls.credentials_model.form_fields()):
            assert str(value) not in repr(credentials)


def test_connection_reports_the_shops_name_currency_and_tax_basis(harness):
    info = harness.adapter().test_connection()
    facts = harness.app.shop_facts()
    assert (info.name, info.currency, info.prices_include_tax) == (facts["name"], facts["currency"], facts["prices_include_tax"])


def test_refused_credentials_raise_auth_error_naming_the_platform(harness):
    adapter = harness.adapter(harness.app.invalid_credentials())
    with pytest.raises(AuthError) as raised:
        adapter.test_connection()
    assert adapter.name in str(raised.value)
    assert raised.value.status in (401, 403)


def test_identifier_attributes_offer_id_and_sku_once_each(seeded):
    codes = [attribute.code for attribute in seeded.adapter().identifier_attributes()]
    assert {"id", "sku"} <= set(codes)
    assert len(codes) == len(set(codes))


def test_listing_pages_through_the_whole_catalog(seeded):
    products = list(seeded.adapter().iter_products(page_size=2))
    assert sorted(product.sku for product in products) == sorted(item["sku"] for item in CATALOG)


def test_a_listed_product_carries_identifiers_descriptions_stock_and_prices(seeded):
    adapter = seeded.adapter()
    product = {product.sku: product for product in adapter.iter_products(page_size=50)}["KNIT-NAVY-S"]
    item = BY_SKU["KNIT-NAVY-S"]
    assert (product.gtin, product.title, product.brand, product.color, product.size) == (
        item["gtin"],
        item["title"],
        item["brand"],
        item["color"],
        item["size"],
    )
    assert product.stock == 10
    assert (product.final_price.amount, product.final_price.currency, product.final_price.tax_included) == (
        Decimal("100.00"),
        seeded.currency,
        True,
    )
    assert (product.original_price.amount, product.original_price.tax_included) == (Decimal("125.00"), True)
    assert product.identifier("sku") == "KNIT-NAVY-S"
    assert product.identifier("id")
    standard = [
        a.code for a in adapter.identifier_attributes() if a.kind in (AttributeKind.ID, AttributeKind.SKU, AttributeKind.GTIN)
    ]
    assert all(product.identifier(code) for code in standard)


def test_without_a_compare_at_price_the_original_price_is_the_final_price(seeded):
    product = {product.sku: product for product in seeded.adapter().iter_products()}["CAP-BLACK"]
    assert product.original_price.amount == product.final_price.amount == Decimal("62.50")


def test_lookup_by_each_standard_identifier_returns_exactly_the_matches(seeded):
    adapter = seeded.adapter()
    listed = {product.sku: product for product in adapter.iter_products()}
    wanted = ["TEE-WHITE-L", "KNIT-NAVY-L"]
    for attribute in adapter.identifier_attributes():
        if attribute.kind not in (AttributeKind.ID, AttributeKind.SKU, AttributeKind.GTIN):
            continue
        values = [listed[sku].identifier(attribute.code) for sku in wanted]
        found = adapter.get_products([*values, "no-such-value"], attribute.code)
        assert sorted(product.sku for product in found) == sorted(wanted), attribute.code
