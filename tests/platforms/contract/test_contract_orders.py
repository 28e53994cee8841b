"""Contract: idempotent order creation (also across a timeout), lookup by reference, and order notes."""

from decimal import Decimal

import pytest

from platforms.base import Capability, ProductNotFound, TransientError, Unsupported
from tests.platforms.contract.catalog import make_draft


def _lines(order: dict) -> list[tuple]:
    return sorted((line["sku"], line["quantity"], Decimal(str(line["unit_price"]))) for line in order["lines"])


def test_a_created_order_shows_the_marketplace_prices_and_is_found_by_reference(seeded):
    adapter = seeded.adapter()
    ref = adapter.create_order(make_draft("order-1", seeded.currency))
    assert ref.reference == "order-1"
    assert adapter.find_order_by_reference("order-1") == ref
    [order] = seeded.app.orders_summary("order-1")
    assert order["id"] == ref.id
    assert _lines(order) == [("KNIT-NAVY-M", 1, Decimal("90.00")), ("TEE-WHITE-M", 2, Decimal("22.50"))]


def test_creating_the_same_draft_again_returns_the_first_order(seeded):
    adapter = seeded.adapter()
    draft = make_draft("order-2", seeded.currency)
    first = adapter.create_order(draft)
    assert seeded.adapter().create_order(draft) == first
    assert len(seeded.app.orders_summary("order-2")) == 1


def test_an_unknown_reference_finds_nothing(seeded):
    assert seeded.adapter().find_order_by_reference("never-created") is None


def test_a_timeout_after_the_store_created_the_order_still_yields_exactly_one_order(seeded):
    adapter = seeded.adapter()
    draft = make_draft("order-3", seeded.currency)
    seeded.time_out("order_create", after=True)
    ref = adapter.create_order(draft)
    assert seeded.transport.timeout_after == 0  # the timeout really happened
    assert [order["id"] for order in seeded.app.orders_summary("order-3")] == [ref.id]
    assert adapter.create_order(draft) == ref
    assert len(seeded.app.orders_summary("order-3")) == 1


def test_a_timeout_before_the_store_saw_the_order_surfaces_and_the_retry_creates_it_once(seeded):
    adapter = seeded.adapter()
    draft = make_draft("order-6", seeded.currency)
    seeded.time_out("order_create", after=False)
    with pytest.raises(TransientError):
        adapter.create_order(draft)
    assert seeded.app.orders_summary("order-6") == []
    ref = adapter.create_order(draft)
    assert [order["id"] for order in seeded.app.orders_summary("order-6")] == [ref.id]


def test_a_line_matching_no_product_is_refused_and_creates_nothing(seeded):
    draft = make_draft("order-4", seeded.currency, lines=(("NO-SUCH-SKU", 1, "10.00"), ("CAP-BLACK", 1, "50.00")))
    with pytest.raises(ProductNotFound) as raised:
        seeded.adapter().create_order(draft)
    assert raised.value.identifiers == ("NO-SUCH-SKU",)
    assert seeded.app.orders_summary("order-4") == []


def test_a_note_is_added_once_however_often_it_is_sent(seeded):
    adapter = seeded.adapter()
    draft = make_draft("order-5", seeded.currency)
    ref = adapter.create_order(draft)
    text = "Miinto labels: https://koongo.example/l/3f9a1c"
    if not seeded.supports(Capability.ORDER_NOTES):
        with pytest.raises(Unsupported):
            adapter.update_order_note(ref, text)
        assert text not in seeded.app.orders_summary("order-5")[0]["note"]
        return
    assert adapter.update_order_note(ref, text) is True
    assert adapter.update_order_note(ref, text) is False
    note = seeded.app.orders_summary("order-5")[0]["note"]
    assert note.count(text) == 1
    assert draft.note in note
