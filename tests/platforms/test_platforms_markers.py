"""Tests for the refund-note markers and the remaining-lines arithmetic shared by PrestaShop and Shopware 5."""

from datetime import UTC, datetime
from decimal import Decimal

from platforms.markers import RefundNote, encode, find_tags, key_in, tag, with_key, without_key
from platforms.mechanics import COLOR_NAMES, SIZE_NAMES, option_named, remaining_lines
from platforms.values import RefundLine

AT = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def test_a_refund_note_renders_readably_and_parses_back_exactly():
    note = RefundNote(
        "refund",
        "rma 1]",
        AT,
        (RefundLine(sku="TEE WHITE|M", quantity=1, amount=Decimal("22.50")),),
        Decimal("4.95"),
        Decimal("27.45"),
        "DKK",
        "wrong\nsize",
    )
    text = note.render()
    assert text == (
        "[koongo-refund:rma%201%5D 2026-05-01T10:00:00Z] 1 × TEE%20WHITE%7CM = 22.50; shipping 4.95; "
        "total 27.45 DKK; reason: wrong size"
    )
    assert RefundNote.parse_all(f"Packed by Ann\n{text}\nCalled the customer") == [
        RefundNote(
            "refund",
            "rma 1]",
            AT,
            (RefundLine(sku="TEE WHITE|M", quantity=1, amount=Decimal("22.50")),),
            Decimal("4.95"),
            Decimal("27.45"),
            "DKK",
            "wrong size",
        )
    ]


def test_a_hand_edited_note_is_skipped_and_other_kinds_are_left_alone():
    good = RefundNote("store-refund", "17", AT, (), Decimal("0"), Decimal("0"), "EUR").render()
    assert good == "[koongo-store-refund:17 2026-05-01T10:00:00Z] no lines; shipping 0; total 0 EUR"
    text = (
        f"{good}\n[koongo-refund:x 2026-05-01T10:00:00Z] one TEE; shipping 0; total 0 EUR\n{tag('refund-slip', 'x')} order slip 4"
    )
    assert [note.key for note in RefundNote.parse_all(text)] == ["17"]
    assert [(t.kind, t.key, t.rest) for t in find_tags(text, "refund-slip")] == [("refund-slip", "x", "order slip 4")]


def test_encoding_keeps_markers_and_filter_values_free_of_special_characters():
    assert encode("a b[c]|d{e}") == "a%20b%5Bc%5D%7Cd%7Be%7D"
    assert encode("1-m!i!s-045-1234") == "1-m!i!s-045-1234"


def test_remaining_lines_subtract_refunds_by_line_id_else_sku_and_prorate_amounts():
    ordered = [
        RefundLine(line_id="11", sku="KNIT", quantity=1, amount=Decimal("90.00")),
        RefundLine(line_id="12", sku="TEE", quantity=3, amount=Decimal("67.50")),
        RefundLine(line_id="13", sku="CAP", quantity=1, amount=Decimal("50.00")),
    ]
    refunded = [RefundLine(sku="TEE", quantity=1), RefundLine(line_id="13", quantity=1)]
    assert remaining_lines(ordered, refunded) == [
        RefundLine(line_id="11", sku="KNIT", quantity=1, amount=Decimal("90.00")),
        RefundLine(line_id="12", sku="TEE", quantity=2, amount=Decimal("45.00")),
    ]
    assert remaining_lines(ordered, ordered) == []


def test_options_are_picked_by_name_in_any_language_and_case():
    options = {"Farve": "Navy", " Størrelse ": "M", "Material": "Wool"}
    assert (option_named(options, COLOR_NAMES), option_named(options, SIZE_NAMES)) == ("Navy", "M")
    assert option_named({"Material": "Wool"}, COLOR_NAMES) is None


def test_a_placeholder_email_is_stable_per_key_and_undeliverable():
    from platforms.mechanics import placeholder_email

    assert placeholder_email("1-M!I!S-045/1234") == placeholder_email("1-M!I!S-045/1234") == "1-m-i-s-045-1234@marketplace.invalid"
    assert placeholder_email("!!!") == "order@marketplace.invalid"


def test_a_key_marker_follows_the_reason_is_found_again_and_yields_to_a_field_limit():
    assert with_key("wrong size", "rma-1") == "wrong size [koongo:rma-1]"
    assert with_key("", "rma-1") == "[koongo:rma-1]"
    capped = with_key("x" * 2000, "rma-1", limit=1000)
    assert (len(capped), capped.endswith(" [koongo:rma-1]")) == (1000, True)
    assert key_in(None, "merchant text", "size [koongo:rma-1] ok") == "rma-1"
    assert key_in("no marker", None) is None
    assert without_key("wrong size [koongo:rma-1]") == "wrong size"
