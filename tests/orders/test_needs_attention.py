"""Needs attention lists what the merchant needs to decide (item, store product, price, stock, why) with the buttons in
place; money is shown in the currency's decimals."""

from decimal import Decimal

from catalog.models import Product
from koongo.money import money_text
from orders.models import Decision, Position
from tests.orders.conftest import GTIN_TEE_M


def test_money_uses_the_currencys_minor_units():
    assert money_text(Decimal("222.13000"), "DKK") == "DKK222.13"
    assert money_text(Decimal("1500.4"), "JPY") == "¥1,500"
    assert money_text(Decimal("1.2345"), "KWD") == "KWD1.235"
    assert money_text(Decimal("2.005"), "EUR") == "€2.01"  # half up, not banker's rounding
    assert money_text(Decimal("1234.5"), "") == "1,234.50"
    assert money_text(None, "DKK") == "—"


def test_needs_attention_shows_item_product_price_stock_and_reason(world, owner_client):
    world.offer((GTIN_TEE_M, 9950, 2))
    world.offer(("0000000000000", 10000, 1))
    world.sync()
    Product.objects.filter(sku="TEE-BLK-M").update(title="Tee black M")
    body = owner_client.get("/orders/needs-attention/").content.decode()
    matched = Position.objects.get(gtin=GTIN_TEE_M)
    row = body[body.index(f'id="attention-{matched.miinto_id}"'):]
    row = row[: row.index("</tr>")]
    assert "Tee black M" in row and 'sku <span translate="no">TEE-BLK-M</span>' in row and "DKK99.50" in row and '<td class="text-end">5</td>' in row
    assert "Auto-accept is off: decide by hand." in row
    assert 'data-action="accept"' in row and 'data-action="decline"' in row and 'name="next" value="/orders/needs-attention/"' in row
    assert "no matching store product" in body


def test_deciding_in_needs_attention_comes_back_to_it(world, owner_client):
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    answer = owner_client.post(f"/positions/{position.pk}/decline/", {"next": "/orders/needs-attention/"})
    assert (answer.status_code, answer.url) == (302, "/orders/needs-attention/")
    assert Decision.objects.get().outcome == "decline"


def test_an_outside_next_address_is_ignored(world, owner_client):
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    answer = owner_client.post(f"/positions/{position.pk}/decline/", {"next": "https://evil.example/"})
    assert (answer.status_code, answer.url) == (302, f"/orders/{position.transfer_id}/")


def test_the_communications_tab_labels_each_call_and_shows_payloads_as_json(world, owner_client):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    body = owner_client.get(f"/orders/{position.transfer_id}/?tab=communications").content.decode()
    assert '<span class="call-label">Sent the decisions to Miinto</span>' in body
    assert '<span class="call-label">Read the order from Miinto</span>' in body
    assert '<span class="call-label">Created the order in the store</span>' in body
    assert '<pre class="payload">{\n  &quot;request&quot;: {\n' in body  # indented JSON
    assert "{&#x27;" not in body  # no Python repr of dicts


def test_the_overview_groups_decisions_by_reason_code_with_labels_and_typed_reasons_as_by_hand(world, owner_client):
    from orders.decisions import positions_decide
    from orders.reasons import grouped_by_label

    assert grouped_by_label([("decline", "out_of_stock", 2), ("decline", "too cheap, sorry", 1), ("decline", "manual_decline", 1),
                             ("accept", "accepted", 3)]) == [
        ("accept", "In stock, price above the threshold", 3), ("decline", "Decided by hand", 2), ("decline", "Out of stock", 2)]
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    first, second = Position.objects.order_by("pk")
    positions_decide(merchant=world.merchant, positions=[first], outcome="decline", actor="owner", reason="Customer asked twice")
    positions_decide(merchant=world.merchant, positions=[second], outcome="decline", actor="owner")
    body = owner_client.get("/").content.decode()
    table = body[body.index('id="decisions-by-reason"'):]
    table = table[: table.index("</table>")]
    assert '<tr><td>Declined</td><td>Decided by hand</td><td class="text-end">2</td></tr>' in table
    assert "Customer asked twice" not in table
