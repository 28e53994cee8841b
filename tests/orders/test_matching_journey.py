"""A merchant whose Product Map holds SKUs while orders identify products by id: nothing is declined, accepting asks
first, and the connection page proposes the attribute that matches; after one click the next sync decides on the merits."""

import pytest

from catalog.models import ProductMapEntry
from orders.models import Decision, Position

pytestmark = pytest.mark.browser

MAPPED = {"9900000000011": "TEE-BLK-M", "9900000000028": "TEE-BLK-L", "9900000000035": "JEANS-32"}


@pytest.fixture
def transactional_world(transactional_db, world):
    return world


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_wrong_identification_attribute_is_caught_and_fixed_in_the_browser(transactional_world, owner, page, live_server, screenshot):
    world = transactional_world
    for index, (gtin, sku) in enumerate(MAPPED.items()):
        ProductMapEntry.objects.create(merchant=world.merchant, connection=world.connection, miinto_item_id=f"item-{index}", gtin=gtin, feed_id=sku)
    world.configure(auto_accept=True, product_identification_attribute="id")
    for gtin in MAPPED:
        world.offer((gtin, 10000, 1))
    world.sync()
    assert Decision.objects.count() == 0
    position = Position.objects.get(gtin="9900000000011")
    _login(page, live_server)

    page.goto(f"{live_server.url}/orders/{position.transfer_id}/")
    page.click(f"#position-{position.miinto_id} button[data-action=accept]")
    warning = page.locator("#unmatched-warning").inner_text()
    assert "match no product in your store" in warning and f"Position {position.miinto_id}" in warning
    screenshot("accept-warning")
    page.click("text=Cancel")
    page.wait_for_url(f"{live_server.url}/orders/{position.transfer_id}/")
    assert Decision.objects.count() == 0

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/connections/{world.connection.pk}/")
    proposal = page.locator("#identification-proposal")
    proposal.wait_for()
    assert "Miinto's ids match sku (100%), not id" in proposal.inner_text()
    assert page.locator('#identification-check tr[data-attribute="sku"]').inner_text().split("\t")[1].strip() == "3 of 3"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # fits a 1366 px screen
    screenshot("identification-check")
    page.click("#use-proposed-attribute")
    page.wait_for_url(f"{live_server.url}/connections/{world.connection.pk}/")
    assert 'Orders now identify products by "sku"' in page.content()

    run = world.sync()
    assert (run.accepted, run.declined) == (2, 1)
    page.goto(f"{live_server.url}/orders/{position.transfer_id}/")
    assert "accept" in page.locator(f"#position-{position.miinto_id} .decision").inner_text()
    screenshot("decided-after-fix")
