"""Pure parts of shipments: carrier names to Miinto providers, and store lines to Miinto positions."""

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from orders.shipments.carrier_mapping import Provider, Resolution, canonical, carrier_key, provider_for
from orders.shipments.services import positions_for

DK = [Provider("gls-dk", "GLS"), Provider("postnord-dk", "PostNord"), Provider("dao-dk", "DAO")]


def test_carrier_keys_ignore_case_spaces_and_accents():
    assert carrier_key(" Post Nord ") == carrier_key("postnord") == "postnord"
    assert carrier_key("Pöst-Nørd") == "postnrd"
    assert carrier_key(None) == ""


def test_aliases_name_one_carrier():
    assert canonical("General Logistics Systems") == "gls"
    assert canonical("Post Danmark") == "postnord"
    assert canonical("Evri") == "evri" and canonical("Hermes UK") == "evri"


def test_a_mapping_wins_over_the_name_and_the_default():
    found = provider_for("GLS", DK, mappings={"gls": "postnord-dk"}, default_id="dao-dk")
    assert found == Resolution("postnord-dk", "PostNord", "mapping")


def test_a_mapping_to_a_provider_the_order_does_not_allow_falls_through():
    assert provider_for("GLS", DK, mappings={"gls": "budbee-se"}) == Resolution("gls-dk", "GLS", "carrier_name")


def test_names_match_by_alias_first_word_and_id_slug():
    assert provider_for("General Logistics Systems", DK) == Resolution("gls-dk", "GLS", "carrier_name")
    assert provider_for("PostNord MyPack", DK) == Resolution("postnord-dk", "PostNord", "carrier_name")
    assert provider_for("DHL Express", [Provider("dhl-de", "DHL Paket")]) == Resolution("dhl-de", "DHL Paket", "carrier_name")
    assert provider_for("dao", [Provider("dao-dk", "Dansk Avis Omdeling")]) == Resolution(
        "dao-dk", "Dansk Avis Omdeling", "carrier_name"
    )


def test_a_known_alias_is_not_also_read_by_its_first_word():
    # "Posten Sverige" is PostNord; its first word alone would have said Posten Bring.
    norway = [Provider("posten-no", "Posten Bring"), Provider("postnord-no", "PostNord")]
    assert provider_for("Posten Sverige", norway).provider_id == "postnord-no"


def test_generic_first_words_match_nothing():
    assert provider_for("La Poste Express Inc", [Provider("la-fr", "La Redoute Delivery")]) is None


def test_the_default_applies_when_nothing_matches_and_only_if_allowed():
    assert provider_for("Bob's Courier", DK, default_id="dao-dk") == Resolution("dao-dk", "DAO", "default")
    assert provider_for("Bob's Courier", DK, default_id="budbee-se") is None
    assert provider_for("", DK, default_id="gls-dk") == Resolution("gls-dk", "GLS", "default")
    assert provider_for("Bob's Courier", DK) is None


@given(st.text(max_size=40), st.sampled_from(["", "gls-dk", "postnord-dk", "dao-dk", "nope"]))
def test_the_answer_is_always_one_of_the_orders_providers(carrier, default_id):
    found = provider_for(carrier, DK, mappings={"gls": "dao-dk"}, default_id=default_id)
    assert found is None or found.provider_id in {p.id for p in DK}


def _lines(*rows):
    return [
        SimpleNamespace(pk=i, miinto_position_id=pid, sku=sku, quantity=qty) for i, (pid, sku, qty) in enumerate(rows, start=1)
    ]


def test_store_lines_map_to_their_positions_by_sku():
    lines = _lines((111, "A", 1), (112, "B", 2))
    assert positions_for(lines, [{"sku": "B", "quantity": 1}], set()) == [112]
    assert positions_for(lines, [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}], set()) == [111, 112]
    assert positions_for(lines, [{"sku": "C", "quantity": 1}], set()) == []


def test_a_whole_order_shipment_sends_every_unsent_position():
    lines = _lines((111, "A", 1), (112, "B", 1))
    assert positions_for(lines, [], set()) == [111, 112]
    assert positions_for(lines, [], {111}) == [112]


def test_positions_sharing_a_sku_are_matched_unsent_first():
    lines = _lines((111, "A", 1), (112, "A", 1))
    assert positions_for(lines, [{"sku": "A", "quantity": 1}], set()) == [111]
    assert positions_for(lines, [{"sku": "A", "quantity": 1}], {111}) == [112]
    assert positions_for(lines, [{"sku": "A", "quantity": 2}], set()) == [111, 112]


def test_a_position_already_sent_is_never_sent_again():
    lines = _lines((111, "A", 2))
    assert positions_for(lines, [{"sku": "A", "quantity": 1}], {111}) == []
