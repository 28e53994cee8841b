"""Contract: the reads reconciliation uses, shared in the base adapter: orders by several references, stock by SKU."""

from tests.platforms.contract.catalog import make_draft


def test_orders_are_found_by_each_reference_and_a_missing_one_is_none(seeded):
    adapter = seeded.adapter()
    ref = adapter.create_order(make_draft("recon-1", seeded.currency))
    assert adapter.find_orders_by_reference(["recon-1", "recon-missing", "recon-1"]) == {"recon-1": ref, "recon-missing": None}


def test_stock_levels_answer_each_known_sku_in_batches_and_leave_unknown_ones_out(seeded):
    adapter = seeded.adapter()
    expected = {sku: seeded.app.stock_of(sku) for sku in ("TEE-WHITE-M", "KNIT-NAVY-M")}
    assert adapter.stock_levels(["TEE-WHITE-M", "NO-SUCH-SKU", "KNIT-NAVY-M"], batch_size=1) == expected
    assert adapter.stock_levels([]) == {}
