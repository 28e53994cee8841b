"""The feed's bytes (§12): every header, REF's quoting, integer minor units with VAT, empty cells, one row per variant,
and the cleaning, image, gender, title and material rules."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from catalog.feed_format import clean_text, feed_image, feed_material, feed_stock, feed_title, miinto_gender, tsv_cell
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import IMAGE, make_product, pull

HEADER = (
    "id\titem_group_id\tc:style_id:string\tgtin\tbrand\ttitle\tcolor\tsize\tproduct_type\tgender\timage_link\t"
    "additional_image_link\tc:stock_level:integer\t"
    "c:retail_price_NOK:integer\tc:discount_retail_price_NOK:integer\tc:retail_price_DKK:integer\tc:discount_retail_price_DKK:integer\t"
    "c:retail_price_SEK:integer\tc:discount_retail_price_SEK:integer\tc:retail_price_EUR:integer\tc:discount_retail_price_EUR:integer\t"
    "c:retail_price_PLN:integer\tc:discount_retail_price_PLN:integer\tc:retail_price_GBP:integer\tc:discount_retail_price_GBP:integer\t"
    "c:retail_price_CNY:integer\tc:discount_retail_price_CNY:integer\tc:retail_price_CHF:integer\tc:discount_retail_price_CHF:integer\t"
    "material\tmadein\tdescription\tc:season_tag:string\twashing\ths_code\t"
    "c:title_DA:string\tc:title_SV:string\tc:title_NO:string\tc:title_NL:string\tc:title_EN:string\tc:title_DE:string\t"
    "c:title_PL:string\tc:title_FI:string\tc:title_ES:string\tc:title_FR:string\tc:title_IT:string\t"
    "c:description_DA:string\tc:description_SV:string\tc:description_NO:string\tc:description_NL:string\tc:description_EN:string\t"
    "c:description_DE:string\tc:description_PL:string\tc:description_FI:string\tc:description_ES:string\tc:description_FR:string\t"
    "c:description_IT:string\n"
)
EMPTY_AFTER_DESCRIPTION = "\t" * 25  # season tag, washing, hs code and the 22 translation columns, all empty
PRICES_EMPTY_BUT_DKK = "\t\t{dkk_retail}\t{dkk_discount}\t\t\t\t\t\t\t\t\t\t\t\t"


def _row(*, id, group, gtin, brand, title, color, size, image, stock, dkk_retail, dkk_discount, product_type="", gender="",
         material="", madein="", description=""):  # fmt: skip
    head = "\t".join([id, group, group, gtin, brand, title, color, size, product_type, gender, image, "", stock])
    prices = PRICES_EMPTY_BUT_DKK.format(dkk_retail=dkk_retail, dkk_discount=dkk_discount)
    return f"{head}\t{prices}\t{material}\t{madein}\t{description}{EMPTY_AFTER_DESCRIPTION}\n"


def test_the_feed_bytes_exactly(client, store, connection, credentials):
    # Two variants of one product (one row each), a title with spaces and quotes, a sale price, and an item at 0 stock.
    make_product(
        store,
        store_product_id="88",
        store_variant_id="881",
        gtin="5701234000011",
        title='Tee "Classic" fit',
        size="M",
        item_group_id="88-black",
        stock=3,
        final_price=Decimal("149.95"),
        original_price=Decimal("200.00"),
    )
    make_product(store, store_product_id="88", store_variant_id="882", gtin="5701234000028", title='Tee "Classic" fit', size="L",
                 item_group_id="88-black", stock=0, final_price=Decimal("1000.99"), original_price=Decimal("1000.99"),
                 category="Women > Tops", material="Cotton", made_in="pt", description="<p>Soft&nbsp;tee</p>\nwith\ttabs")  # fmt: skip

    response = pull(client, credentials)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert response.body.decode() == HEADER + _row(
        id="881", group="88-black", gtin="5701234000011", brand="Nordic", title='"Tee ""Classic"" fit"', color="Black", size="M",
        image=IMAGE, stock="3", dkk_retail="20000", dkk_discount="14995",
    ) + _row(
        id="882", group="88-black", gtin="5701234000028", brand="Nordic", title='"Tee ""Classic"" fit"', color="Black", size="L",
        image=IMAGE, stock="0", dkk_retail="100099", dkk_discount="100099", product_type='"Women > Tops"',
        material='"{""en_EN.utf8"":""Cotton""}"', madein="PT", description='"Soft tee with tabs"',
    )  # fmt: skip
    assert not response.body.startswith(b"\xef\xbb\xbf") and b"\r" not in response.body


def test_price_cells_stay_empty_when_the_store_sells_in_another_currency(client, store, connection, credentials):
    make_product(
        store, store_variant_id="e1", price_currency="EUR", final_price=Decimal("20.00"), original_price=Decimal("20.00")
    )
    [row] = pull(client, credentials).body.decode().splitlines()[1:]
    cells = dict(zip(HEADER.rstrip("\n").split("\t"), row.split("\t"), strict=True))
    assert {name: value for name, value in cells.items() if "price" in name and value} == {}
    assert cells["c:stock_level:integer"] == "5"


def test_net_store_prices_are_not_sent_as_gross(client, store, connection, credentials):
    product = make_product(store, prices_include_tax=False)
    [row] = pull(client, credentials).body.decode().splitlines()[1:]
    assert "10000" not in row.split("\t") and row.split("\t")[0] == product.store_variant_id
    with merchant_scope(store.merchant):
        listing = product.listings.get()
    assert (listing.in_feed, listing.mapping_problem) == (True, "the store's prices exclude VAT; price cells left empty")
    assert listing.exported_price_at is None


def test_cleaning_folds_html_tabs_and_newlines():
    assert clean_text("<b>Bold</b>\tand\r\nnew &lt;i&gt;line&lt;/i&gt;  ") == "Bold and new line"
    assert clean_text(None) == ""


def test_quoting_wraps_values_with_spaces_or_quotes():
    assert tsv_cell("plain") == "plain"
    assert tsv_cell("two words") == '"two words"'
    assert tsv_cell('5"') == '"5"""'


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://cdn.example.com/a b/Tee.JPG?v=2", "https://cdn.example.com/a%20b/Tee.JPG?v=2"),
        ("https://cdn.example.com/x/tee.webp", "https://cdn.example.com/x/tee.webp"),
        ("https://cdn.example.com/x/t%C3%A9e.jpeg", "https://cdn.example.com/x/t%C3%A9e.jpeg"),
        ("https://cdn.example.com/x/tée.jpg", "https://cdn.example.com/x/t%C3%A9e.jpg"),
        ("http://cdn.example.com/x/tee.jpg", None),
        ("https://cdn.example.com/x/tee.png", None),
        ("https://cdn.example.com/x/tee", None),
    ],
)
def test_images_must_be_https_jpg_or_webp_and_percent_encoded(url, expected):
    assert feed_image(url) == expected


def test_additional_images_are_jpg_only_and_comma_joined(client, store, connection, credentials):
    make_product(store, image_urls=["https://c.example.com/1.webp", "https://c.example.com/2.jpg", "https://c.example.com/3.webp",
                                    "http://c.example.com/4.jpg", "https://c.example.com/5.JPEG"])  # fmt: skip
    [row] = pull(client, credentials).body.decode().splitlines()[1:]
    cells = row.split("\t")
    assert cells[10:12] == ["https://c.example.com/1.webp", "https://c.example.com/2.jpg,https://c.example.com/5.JPEG"]


@pytest.mark.parametrize(
    "category,gender",
    [
        ("Women > Dresses", "F"),
        ("Herre / Sko", "M"),
        ("Unisex", "U"),
        ("Dame", "F"),
        ("Men's shoes", "M"),
        ("Kids > Tops", ""),
        ("Bags", ""),
    ],
)
def test_gender_maps_store_wording_to_m_f_or_u(category, gender):
    assert miinto_gender(category) == gender


def test_title_drops_a_leading_brand():
    assert feed_title("Nordic Wool coat", "Nordic") == "Wool coat"
    assert feed_title("Nordicwear coat", "Nordic") == "Nordicwear coat"


def test_material_is_json_keyed_by_locale():
    assert feed_material("Wool") == '{"en_EN.utf8":"Wool"}'
    assert feed_material('{"da_DK.utf8": "Uld", "en_EN.utf8": "Wool"}') == '{"da_DK.utf8":"Uld","en_EN.utf8":"Wool"}'
    assert feed_material("") == ""


def test_the_stock_buffer_and_a_removed_product_in_the_stock_column():
    assert feed_stock(SimpleNamespace(removed_at=None, stock=5), 2) == 3
    assert feed_stock(SimpleNamespace(removed_at=None, stock=1), 2) == 0
    assert feed_stock(SimpleNamespace(removed_at="yesterday", stock=9), 0) == 0
    assert feed_stock(SimpleNamespace(removed_at=None, stock=None), 0) is None
