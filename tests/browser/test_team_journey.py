"""Browser journeys: an owner invites a member, who accepts from the e-mail's link, sets a password and signs in; a
forgotten password is reset from the e-mailed link."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from koongo.accounts.models import Membership

pytestmark = pytest.mark.browser

NEW_PASSWORD = "journey-pass-2026"


def _link(live_server, message) -> str:
    path = re.search(r"https?://[^/\s]+(/\S+/)", message.body).group(1)
    return f"{live_server.url}{path}"


def _sign_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_owner_invites_a_member_who_accepts_from_the_email_and_signs_in(logged_in_page, browser, live_server, screenshot):
    owner = logged_in_page
    owner.click("nav >> text=Team")
    owner.wait_for_url(f"{live_server.url}/team/")
    owner.fill("#id_invite-email", "ann@browser.example")
    owner.select_option("#id_invite-role", "viewer")
    owner.click("#invite-form button")
    owner.wait_for_url(f"{live_server.url}/team/")
    assert "Invitation sent to ann@browser.example." in owner.locator(".alert-success").inner_text()
    assert "ann@browser.example" in owner.locator("#invitations").inner_text()
    screenshot("team-invited")
    [message] = mail.outbox

    invitee = browser.new_context().new_page()
    invitee.goto(_link(live_server, message))
    assert invitee.locator("h1").inner_text() == "Join Browser Shop"
    invitee.fill("#id_password1", NEW_PASSWORD)
    invitee.fill("#id_password2", NEW_PASSWORD)
    invitee.click("button[type=submit]")
    invitee.wait_for_url(f"{live_server.url}/")
    assert "Welcome to Browser Shop." in invitee.locator(".alert-success").inner_text()
    invitee.click("text=Log out")
    invitee.wait_for_url(f"{live_server.url}/login/")
    _sign_in(invitee, live_server, "ann@browser.example", NEW_PASSWORD)
    invitee.goto(f"{live_server.url}/team/")
    # A viewer sees the team without the owner's controls.
    assert invitee.locator("#invite-form").count() == 0
    assert Membership.objects.get(user__username="ann@browser.example").role == "viewer"

    owner.reload()
    row = owner.locator('tr[data-member="ann@browser.example"]')
    row.locator("select").select_option("staff")
    row.locator("text=Change").click()
    owner.wait_for_url(f"{live_server.url}/team/")
    assert "ann@browser.example is now staff." in owner.locator(".alert-success").inner_text()
    screenshot("team-role-changed")
    assert owner.csp_violations == []


def test_a_forgotten_password_is_reset_from_the_emailed_link(logged_in_page, browser, live_server, screenshot):
    logged_in_page.click("text=Log out")
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/login/")
    page.click("text=Forgot your password?")
    page.fill("#id_email", "owner@browser.example")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/password-reset/sent/")
    [message] = mail.outbox
    page.goto(_link(live_server, message))
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    screenshot("password-reset-form")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/password-reset/done/")
    assert "Your password is changed." in page.locator("#reset-complete").inner_text()
    _sign_in(page, live_server, "owner@browser.example", NEW_PASSWORD)
    assert page.locator("h1").inner_text() == "Browser Shop"
