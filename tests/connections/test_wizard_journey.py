"""The add-connection wizard in a real browser: log in, Get Available Stores, pick the shop, save, see the configuration."""

import pytest

from connections.models import MiintoConnection
from koongo.accounts.tenancy import merchant_scope
from tests.connections.conftest import MIINTO_PASSWORD, MIINTO_USER

pytestmark = pytest.mark.browser


def test_wizard_in_the_browser(transactional_db, owner, merchant, miinto_sim, tested_store, page, live_server, screenshot):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("text=Connections")
    page.click("#add-connection")
    page.select_option("#id_environment", "simulator")
    page.fill("#id_username", MIINTO_USER)
    page.fill("#id_password", MIINTO_PASSWORD)
    page.click("#get-stores")
    page.wait_for_selector("#store-list")  # swapped in by htmx, no page load
    assert "Nordic Threads SE" in page.locator("#store-list").inner_text()
    page.check("text=Nordic Threads DK")
    page.select_option("#id_store_connection", str(tested_store.pk))
    page.select_option("#id_activate", "1")
    screenshot("stores")
    page.click("#save-connection")
    page.wait_for_selector("#configuration-form")
    assert "active" in page.locator("#connection-status").inner_text()
    screenshot("configuration")
    with merchant_scope(merchant):
        connection = MiintoConnection.objects.get()
    assert (connection.shop_id, connection.status) == ("1-m!i!s-045-2001", "active")
    assert page.url == f"{live_server.url}/connections/{connection.pk}/"


def test_synchronize_orders_shows_live_counters(transactional_db, owner, merchant, connection, page, live_server, screenshot):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    page.click("#sync-orders")
    page.locator("#live-run .run-progress").wait_for()
    # The partial polls itself while the run is queued or running; Celery runs eagerly here, so it soon shows the end.
    progress = page.locator("#live-run .run-progress[data-run-status=succeeded]")
    progress.wait_for(timeout=10_000)
    assert progress.locator("[data-counter=seen]").inner_text() == "0"
    screenshot("synced")
