"""Property test: the adapter's search-query quoting and the simulator's search parser agree on any identifier."""

from hypothesis import given, settings
from hypothesis import strategies as st

from platforms.shopify.mapping import search as _search
from platforms.shopify.sandbox_graphql import matches

identifiers = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(deadline=None, max_examples=300)
@given(st.lists(identifiers, min_size=1, max_size=4, unique=True), identifiers)
def test_a_quoted_sku_query_matches_exactly_the_listed_skus(wanted, other):
    query = _search("sku", wanted)
    assert all(matches(query, {"sku": sku}) for sku in wanted)
    assert matches(query, {"sku": other}) is (other in wanted)
