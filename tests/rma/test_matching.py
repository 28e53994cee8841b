"""The pure matching rule: a store refund accepts a pending RMA only when both hold the same items and quantities."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rma.matching import MatchKind, match_refund

quantities = st.dictionaries(st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=3), min_size=1, max_size=4)


def test_the_same_items_and_quantities_match_exactly():
    assert match_refund({1: 2, 2: 1}, [(10, {1: 1}), (11, {2: 1, 1: 2})]) == match_refund({2: 1, 1: 2}, [(11, {1: 2, 2: 1})])
    assert match_refund({1: 2, 2: 1}, [(10, {1: 1}), (11, {2: 1, 1: 2})]).rma_ids == (11,)
    assert match_refund({1: 2, 2: 1}, [(10, {1: 1}), (11, {2: 1, 1: 2})]).kind == MatchKind.EXACT


def test_the_oldest_of_two_identical_rmas_is_taken():
    assert match_refund({1: 1}, [(10, {1: 1}), (11, {1: 1})]).rma_ids == (10,)


def test_overlapping_items_are_partial_and_name_every_overlapping_rma():
    match = match_refund({1: 1}, [(10, {1: 1, 2: 1}), (11, {3: 1}), (12, {1: 2})])
    assert (match.kind, match.rma_ids) == (MatchKind.PARTIAL, (10, 12))


def test_no_shared_item_means_a_request():
    assert match_refund({1: 1}, [(10, {2: 1})]).kind == MatchKind.NONE
    assert match_refund({1: 1}, []).kind == MatchKind.NONE


def test_refunds_without_items_we_can_tell_are_never_acted_on():
    assert match_refund(None, [(10, {1: 1})]).kind == MatchKind.UNKNOWN_ITEMS
    assert match_refund({}, []).kind == MatchKind.UNKNOWN_ITEMS


def test_without_item_detail_a_pending_rma_is_never_accepted_on_a_guess():
    assert match_refund({1: 1}, [(10, {1: 1})], item_level=False) == match_refund({1: 1}, [(10, {2: 1})], item_level=False)
    assert match_refund({1: 1}, [(10, {1: 1})], item_level=False).kind == MatchKind.PARTIAL
    assert match_refund({1: 1}, [], item_level=False).kind == MatchKind.NONE


@settings(deadline=None, max_examples=200)
@given(refund=quantities, pending=st.lists(quantities, max_size=4))
def test_exact_only_when_equal_and_none_only_when_disjoint(refund, pending):
    match = match_refund(refund, list(enumerate(pending)))
    equal = [i for i, q in enumerate(pending) if q == refund]
    shared = [i for i, q in enumerate(pending) if set(q) & set(refund)]
    if equal:
        assert (match.kind, match.rma_ids) == (MatchKind.EXACT, (equal[0],))
    elif shared:
        assert (match.kind, match.rma_ids) == (MatchKind.PARTIAL, tuple(shared))
    else:
        assert match.kind == MatchKind.NONE
