"""Browser journeys: pytest-playwright driving Debian's Chromium (never a downloaded browser) against live_server."""

import pytest

# The wizard's simulators (Miinto, Shopify and a tested store), for journeys that set up a connection as a merchant does.
from tests.connections.conftest import miinto_sim, shopify_sim, tested_store  # noqa: F401


@pytest.fixture
def logged_in_page(page, live_server, transactional_db):
    """A page logged in as the owner of a fresh merchant, with the CSP violations it meets collected."""
    from tests.factories import MembershipFactory

    MembershipFactory(user__username="owner@browser.example", merchant__name="Browser Shop")
    page.csp_violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text))
    sign_in(page, live_server.url, "owner@browser.example")
    return page


def sign_in(page, base_url: str, username: str = "owner@a.example") -> None:
    """Sign in through the login form (the factories' password) and land on the overview."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
