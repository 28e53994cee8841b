"""Swagger UI (the API docs) renders from our own static files with no console error, CSP or otherwise."""

import pytest

pytestmark = pytest.mark.browser


def test_swagger_ui_loads_without_console_errors(logged_in_page, live_server, screenshot):
    page = logged_in_page
    messages = []
    page.on("console", lambda msg: msg.type in ("error", "warning") and messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    page.goto(f"{live_server.url}/api/docs/")
    # The operations come from /api/schema/: their rendering proves the script, the CSS and the schema fetch all ran.
    page.wait_for_selector(".opblock-tag", timeout=15000)
    assert "Koongo Miinto connection manager API" in page.locator(".title").inner_text()
    screenshot("api-docs")
    assert messages == []
    assert page.csp_violations == []
