"""A Danish journey (issue #24): log in, add a connection with the wizard, receive a pending position and accept it,
with the dashboard in Danish throughout: first from the browser's Accept-Language, then from the saved preference.

Expected texts are looked up in the Danish catalogue, never written here in Danish, and each must differ from the
English: the test fails while the catalogue lacks them. Amounts and dates must be in Danish format (Babel, CLDR).
"""

import re

import pytest
from django.utils import timezone, translation

from catalog.services import catalog_refresh
from connections import clients
from connections.models import MiintoConnection
from koongo.accounts.tenancy import merchant_scope
from koongo.timefmt import when_text
from orders.models import DecidedBy, Position
from tests.connections.conftest import DK_SHOP, MIINTO_PASSWORD, MIINTO_USER
from tests.orders.conftest import GTIN_TEE_M, seed_store

pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(locale="da-DK")]

DANISH_MONEY = re.compile(r"^\d{1,3}(\.\d{3})*,\d{2}\s?kr\.$")  # Babel's da/DKK: "1.234,50 kr." (a no-break space)
DANISH_SHORT_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4} \d{2}\.\d{2}\b")  # CLDR da short: "06.12.2026 09.15"


def danish(message: str, context: str = "") -> str:
    """`message` as the Danish catalogue has it; a key text still in English fails here, not in a locator."""
    with translation.override("da"):
        text = translation.pgettext(context, message) if context else translation.gettext(message)
    assert text != message, f"the Danish catalogue lacks {message!r}"
    return text


def browser_asks_for(page, language: str) -> None:
    """Every later request of `page` sends Accept-Language `language` (Chromium's navigations ignore extra headers)."""
    page.route("**/*", lambda route: route.continue_(headers={**route.request.headers, "accept-language": language}))


@pytest.fixture
def catalogued_store(merchant, shopify_sim, tested_store):
    """The wizard's Shopify store, now with products whose GTINs a Miinto position can match."""
    seed_store(shopify_sim)
    with merchant_scope(merchant), clients.store_adapter(tested_store) as adapter:
        catalog_refresh(tested_store, adapter)
    return tested_store


def test_a_danish_journey_from_login_to_an_accepted_order(
    transactional_db, owner, merchant, miinto_sim, catalogued_store, page, live_server, screenshot
):
    # The browser asks for Danish (the context's locale sends Accept-Language: da-DK): the login page speaks it.
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.locator("h1").inner_text() == danish("Sign in")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.get_by_role("button", name=danish("Sign in"), exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    nav = page.locator("#nav")
    assert nav.get_by_role("link", name=danish("Overview"), exact=True).is_visible()

    # The wizard: connections → add → Get Available Stores → pick the shop → save.
    nav.get_by_role("link", name=danish("Connections"), exact=True).click()
    page.click("#add-connection")
    page.select_option("#id_environment", "simulator")
    page.fill("#id_username", MIINTO_USER)
    page.fill("#id_password", MIINTO_PASSWORD)
    page.get_by_role("button", name=danish("Get Available Stores"), exact=True).click()
    page.wait_for_selector("#store-list")  # swapped in by htmx, no page load
    page.check("text=Nordic Threads DK")
    page.select_option("#id_store_connection", str(catalogued_store.pk))
    page.select_option("#id_activate", "1")
    page.click("#save-connection")
    page.wait_for_selector("#configuration-form")
    with merchant_scope(merchant):
        connection = MiintoConnection.objects.get()
    assert (connection.shop_id, connection.status) == (DK_SHOP, "active")

    # From here the browser asks for English; the Danish chosen on the settings page is what keeps the pages Danish.
    browser_asks_for(page, "en")
    page.goto(f"{live_server.url}/settings/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.select_option("#language-form select[name=language]", "da")
    page.locator("#language-form button").click()
    page.wait_for_url(f"{live_server.url}/settings/")
    assert page.locator("html").get_attribute("lang") == "da"
    assert danish("Language saved.") in page.locator("body").inner_text()

    # Miinto offers a transfer; a sync from the connection page brings it in as a pending position.
    miinto_sim.state.create_transfer(DK_SHOP, [{"gtin": GTIN_TEE_M, "price": 123450, "quantity": 1}])
    page.goto(f"{live_server.url}/connections/{connection.pk}/")
    page.get_by_role("button", name=danish("Synchronize Orders"), exact=True).click()
    progress = page.locator("#live-run .run-progress[data-run-status=succeeded]")
    progress.wait_for(timeout=10_000)  # Celery runs eagerly here
    assert progress.locator("[data-counter=seen]").inner_text() == "1"
    with merchant_scope(merchant):
        position = Position.objects.get()
        transfer = position.transfer
    assert position.status == "pending"

    page.goto(f"{live_server.url}/orders/")
    assert page.locator("h1").inner_text() == danish("Orders")
    # The longer Danish words still fit a laptop screen: nothing pushes the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    screenshot("orders")

    # The order: its unit price and creation date in Danish format; accept the position and see the decision.
    page.click(f"#orders-table a[href='/orders/{transfer.pk}/']")
    page.wait_for_url(f"{live_server.url}/orders/{transfer.pk}/")
    row = page.locator(f"#position-{position.miinto_id}")
    unit_price = row.locator("td.text-nowrap").inner_text()
    assert DANISH_MONEY.match(unit_price) and unit_price.replace("\xa0", " ") == "1.234,50 kr."
    with translation.override("da"), timezone.override(merchant.timezone):
        created = when_text(transfer.created_at_miinto)
    assert DANISH_SHORT_DATE.search(created) and created in page.locator("h1 + p").inner_text()

    row.get_by_role("button", name=danish("Accept"), exact=True).click()
    page.wait_for_url(f"{live_server.url}/orders/{transfer.pk}/")
    decision = row.locator(".decision").inner_text()
    with translation.override("da"):
        decided_by = str(DecidedBy.MERCHANT.label)
        told_miinto = translation.gettext("told Miinto %(when)s").split("%(when)s")[0].strip()
    assert danish("accept", context="decision outcome") in decision
    assert decided_by in decision and told_miinto in decision
    assert DANISH_SHORT_DATE.search(decision)  # when Miinto was told, to the second, in Danish format
    with merchant_scope(merchant):
        assert Position.objects.get().status == "accepted"
    screenshot("order")
