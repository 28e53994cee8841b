"""Browser journeys: pytest-playwright driving Debian's Chromium (never a downloaded browser) against live_server."""

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot named after the test into test-artifacts/."""

    def take(name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take


@pytest.fixture
def logged_in_page(page, live_server, transactional_db):
    """A page logged in as the owner of a fresh merchant, with the CSP violations it meets collected."""
    from tests.factories import MembershipFactory

    MembershipFactory(user__username="owner@browser.example", merchant__name="Browser Shop")
    page.csp_violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@browser.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page
