"""The auto-accept rule, exhaustively: every reason, the threshold edge, fallbacks, currency, and monotonicity."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from orders.rules import RULE_VERSION, Outcome, Reason, RuleInput, decide

D = Decimal


def facts(**overrides) -> RuleInput:
    base = {
        "unit_price": D("100.00"),
        "currency": "DKK",
        "quantity": 1,
        "product_found": True,
        "available_stock": 5,
        "reference_price": D("100.00"),
        "reference_currency": "DKK",
        "reference_source": "last_exported",
        "threshold": D("0.97"),
    }
    return RuleInput(**{**base, **overrides})


def test_accepts_in_stock_at_full_price():
    verdict = decide(facts())
    assert (verdict.outcome, verdict.reason, verdict.minimum_price) == (Outcome.ACCEPT, Reason.ACCEPTED, D("97.0000"))


def test_equality_at_the_threshold_accepts_and_one_cent_below_declines():
    assert decide(facts(unit_price=D("97.00"))).outcome == Outcome.ACCEPT
    below = decide(facts(unit_price=D("96.99")))
    assert (below.outcome, below.reason) == (Outcome.DECLINE, Reason.PRICE_BELOW_THRESHOLD)


def test_product_not_found():
    assert decide(facts(product_found=False, available_stock=None)).reason == Reason.PRODUCT_NOT_FOUND


def test_out_of_stock_when_quantity_exceeds_stock():
    assert decide(facts(quantity=3, available_stock=2)).reason == Reason.OUT_OF_STOCK
    assert decide(facts(quantity=2, available_stock=2)).outcome == Outcome.ACCEPT
    assert decide(facts(available_stock=0)).reason == Reason.OUT_OF_STOCK
    assert decide(facts(available_stock=None)).reason == Reason.OUT_OF_STOCK


def test_no_reference_price_declines():
    verdict = decide(facts(reference_price=None, reference_source="reference_attribute"))
    assert (verdict.outcome, verdict.reason) == (Outcome.DECLINE, Reason.NO_REFERENCE_PRICE)


def test_fallback_reference_attribute_is_compared_like_an_exported_price():
    assert decide(facts(reference_source="reference_attribute", reference_price=D("120.00"))).reason == Reason.PRICE_BELOW_THRESHOLD
    assert decide(facts(reference_source="reference_attribute", reference_price=D("103.00"))).outcome == Outcome.ACCEPT


def test_currency_mismatch_waits_and_never_converts():
    verdict = decide(facts(currency="SEK", reference_currency="DKK", unit_price=D("10000.00")))
    assert (verdict.outcome, verdict.reason) == (Outcome.WAIT, Reason.CURRENCY_MISMATCH)


def test_threshold_changes_the_outcome():
    assert decide(facts(unit_price=D("90.00"), threshold=D("0.9"))).outcome == Outcome.ACCEPT
    assert decide(facts(unit_price=D("90.00"), threshold=D("0.97"))).outcome == Outcome.DECLINE
    assert decide(facts(unit_price=D("150.00"), threshold=D("1.5"))).outcome == Outcome.ACCEPT
    assert decide(facts(unit_price=D("149.99"), threshold=D("1.5"))).outcome == Outcome.DECLINE


def test_inputs_are_recorded_with_the_rule_version():
    record = facts().as_record()
    assert record["rule_version"] == RULE_VERSION
    assert record["unit_price"] == "100.00" and record["threshold"] == "0.97" and record["reference_source"] == "last_exported"


prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
stocks = st.integers(min_value=0, max_value=50)


@settings(deadline=None, max_examples=300)
@given(price=prices, reference=prices, stock=stocks, quantity=st.integers(1, 10), more_price=prices, more_stock=stocks,
       threshold=st.decimals(min_value=D("0.01"), max_value=D("2"), places=3))
def test_raising_price_or_stock_never_turns_an_accept_into_a_decline(price, reference, stock, quantity, more_price, more_stock, threshold):
    before = decide(facts(unit_price=price, reference_price=reference, available_stock=stock, quantity=quantity, threshold=threshold))
    after = decide(
        facts(unit_price=price + more_price, reference_price=reference, available_stock=stock + more_stock, quantity=quantity, threshold=threshold)
    )
    if before.outcome == Outcome.ACCEPT:
        assert after.outcome == Outcome.ACCEPT
