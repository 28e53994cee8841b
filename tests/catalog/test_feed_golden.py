"""The bytes of a small catalog that exercises every row rule, pinned to a golden file: the row builder is tuned for
speed (issue 15), and this says that no rule's output moved by a byte while it was."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import IMAGE, make_product, pull

GOLDEN = Path(__file__).parent / "golden" / "feed_small.tsv"


def golden_catalog(store) -> None:
    """Fourteen products with explicit identities (the ids of other tests' products never leak into these bytes)."""

    def product(n: int, **fields):
        values = {"store_product_id": f"g{n}", "store_variant_id": f"gv{n}", "sku": f"G-{n}", "gtin": f"57000000{n:05d}",
                  "title": f"Tee {n}", "item_group_id": f"g{n}-black"}  # fmt: skip
        return make_product(store, **{**values, **fields})

    product(1, image_urls=["https://cdn.example.com/a/1.webp", "https://cdn.example.com/a/my shot 2.jpg", "http://cdn.example.com/3.jpg",
                           "https://cdn.example.com/a/4.png", "https://CDN.Example.com/a/5.JPEG?v=2&w=800"])  # fmt: skip
    product(2, title="Nordic Tee &amp; more", description="<p>Soft&nbsp;tee</p>\nwith\ttabs  and &lt;b&gt;bold&lt;/b&gt;",
            category="Men / Shoes | Sneakers", gender="F", material='{"en_EN.utf8":"Cotton <b>x</b>","da_DK.utf8":"Bomuld"}',
            made_in="dk", style_id="STY 2")  # fmt: skip
    product(3, price_currency="EUR", category="Women > Dresses", material="Linen \"fine\"")
    product(4, prices_include_tax=False, stock=0, made_in="D1")
    product(5, brand='Nordic "N"', color="Washed blue", size="38 IT", item_group_id="g5 washed", gender="X")
    product(6, gtin="12AB", final_price=Decimal("149.95"), original_price=Decimal("200.00"))
    product(7, gtin="5700000000008", final_price=None, original_price=Decimal("99.50"), stock=-2)
    product(8, gtin="5700000000008", final_price=None, original_price=None)  # a repeated GTIN: sent without it
    product(9, identifiers={"id": "X 9"}, title="Tröja – blå\u00a0fit", removed_at=timezone.now() - timedelta(minutes=5))
    product(10, item_group_id="g10", size="S", exported_key={"group": "frozen-10", "brand": "Old", "color": "Red", "size": "S"})
    product(11, image_urls=[])  # left out: no image
    product(12, item_group_id="g10", brand="Old", color="Red", size="S")  # left out: the frozen key of 10 keeps it
    product(13, stock=None, image_urls=[IMAGE, "https://cdn.example.com/x.webp"])  # left out: no stock level
    product(14, title="  Spaced\tout  ", description="plain text", category="Kids > Tops > T-Shirts", final_price=Decimal("0.50"))


def test_a_small_catalog_serves_its_golden_bytes(client, store, connection, credentials):
    with merchant_scope(store.merchant):
        golden_catalog(store)

    body = pull(client, credentials).body

    assert body == GOLDEN.read_bytes()
