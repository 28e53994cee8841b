"""The first journey: sign in, see the overview with vendored assets and no CSP violations, sign out."""

import pytest

pytestmark = pytest.mark.browser


def test_login_overview_logout(logged_in_page, live_server, screenshot):
    page = logged_in_page
    assert page.locator("h1").inner_text() == "Browser Shop"
    assert page.locator("#plan-name").inner_text() == "Business"
    # Bootstrap's CSS loaded from our own static files: the navbar is dark.
    assert page.locator("nav.navbar").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(33, 37, 41)"
    assert page.evaluate("typeof htmx") == "object"
    screenshot("overview")
    assert page.csp_violations == []
    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/login/")


def test_wrong_password_shows_a_clear_error(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "nobody@example.com")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "Please enter a correct username and password" in page.locator(".alert-danger").inner_text()
