"""Open an order with a pending position, press Accept, and see the decision and the Communications entry."""

import pytest

from orders.models import Position
from tests.orders.conftest import GTIN_TEE_M

pytestmark = pytest.mark.browser


@pytest.fixture
def transactional_world(transactional_db, world):
    return world


def test_accept_a_pending_position_in_the_browser(transactional_world, owner, page, live_server, screenshot):
    world = transactional_world
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    position = Position.objects.get()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orders/{position.transfer_id}/")
    page.click(f"#position-{position.miinto_id} button[data-action=accept]")
    page.wait_for_url(f"{live_server.url}/orders/{position.transfer_id}/")
    decision = page.locator(f"#position-{position.miinto_id} .decision").inner_text()
    assert "accept" in decision and "Merchant" in decision and "told Miinto" in decision
    screenshot("decided")
    page.click("text=Communications")
    rows = page.locator("#communications").inner_text()
    assert "PATCH" in rows and "To Miinto" in rows
    screenshot("communications")
