"""The dashboard's team page (invite by e-mail, accept, change role, remove), password reset by e-mail, and API keys in
Settings: owners manage, staff and viewers only see; the login throttle keeps working."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.html import strip_tags

from koongo.accounts.models import Invitation, Membership, MerchantApiKey, Role
from koongo.accounts.tenancy import merchant_scope
from tests.factories import MembershipFactory

PASSWORD = "pass-word-123"
NEW_PASSWORD = "brand-new-pass-42"


def _link(message) -> str:
    return re.search(r"https?://testserver(/\S+/)", message.body).group(1)


def _invite(client, email, role="staff"):
    return client.post("/team/invite/", {"invite-email": email, "invite-role": role})


@pytest.fixture
def staff_client(merchant):
    member = MembershipFactory(merchant=merchant, role=Role.STAFF, user__username="staff@a.example", user__email="staff@a.example")
    client = Client()
    client.force_login(member.user)
    return client


def test_owner_invites_and_the_new_member_sets_a_password_and_joins(merchant, owner_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(owner_client, "New@Shop.example", "viewer").status_code == 302
    assert "new@shop.example" in owner_client.get("/team/").content.decode()
    [message] = mail.outbox
    assert message.to == ["new@shop.example"] and "Merchant A" in message.subject and "as viewer" in message.body

    invitee = Client()
    page = invitee.get(_link(message))
    assert page.status_code == 200 and "Join Merchant A" in page.content.decode()
    mismatch = invitee.post(_link(message), {"password1": NEW_PASSWORD, "password2": "something-else-1"})
    assert mismatch.status_code == 200 and "The two passwords differ." in mismatch.content.decode()
    weak = invitee.post(_link(message), {"password1": "new@shop.example", "password2": "new@shop.example"})
    assert 'data-field="password1"' in weak.content.decode()

    joined = invitee.post(_link(message), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert joined.status_code == 302 and joined.url == "/"
    membership = Membership.objects.get(merchant=merchant, user__username="new@shop.example")
    assert membership.role == "viewer" and invitee.session["_auth_user_id"] == str(membership.user_id)
    # The link is single use; the password works on the login page (through django-axes' backend).
    assert invitee.get(_link(message)).status_code == 410
    assert Client().post("/login/", {"username": "new@shop.example", "password": NEW_PASSWORD}).status_code == 302


def test_an_existing_account_signs_in_before_joining(merchant, owner_client, other_merchant, django_capture_on_commit_callbacks):
    elsewhere = MembershipFactory(merchant=other_merchant, user__username="b@b.example", user__email="b@b.example")
    with django_capture_on_commit_callbacks(execute=True):
        _invite(owner_client, "b@b.example")
    link = _link(mail.outbox[0])
    anonymous = Client()
    page = anonymous.get(link).content.decode()
    assert "Sign in as b@b.example" in strip_tags(page) and 'name="password1"' not in page  # the address is data: its own span
    assert anonymous.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 200
    assert not Membership.objects.filter(merchant=merchant, user=elsewhere.user).exists()

    signed_in = Client()
    signed_in.force_login(elsewhere.user)
    assert signed_in.post(link).status_code == 302
    assert Membership.objects.get(merchant=merchant, user=elsewhere.user).role == "staff"


def test_forged_expired_and_withdrawn_links_are_refused(merchant, owner, owner_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(owner_client, "late@shop.example")
        _invite(owner_client, "gone@shop.example")
    late, gone = (_link(m) for m in mail.outbox)
    assert "not valid" in Client().get(late[:-3] + "xx/").content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        expired = Client().post(late, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    with merchant_scope(merchant):
        withdrawn = Invitation.objects.get(email="gone@shop.example")
    owner_client.post(f"/team/invitations/{withdrawn.pk}/withdraw/")
    assert "withdrawn" in Client().get(gone).content.decode()
    assert list(Membership.objects.filter(merchant=merchant).values_list("user__username", flat=True)) == ["owner@a.example"]


def test_role_change_and_removal_keep_an_owner(merchant, owner, owner_client):
    me = Membership.objects.get(merchant=merchant, user=owner)
    page = owner_client.post(f"/team/members/{me.pk}/role/", {"role": "staff"}, follow=True).content.decode()
    assert "at least one owner" in page
    owner_client.post(f"/team/members/{me.pk}/remove/")
    me.refresh_from_db()
    assert me.role == "owner"
    staff = MembershipFactory(merchant=merchant, role=Role.STAFF, user__username="s@a.example", user__email="s@a.example")
    owner_client.post(f"/team/members/{staff.pk}/role/", {"role": "viewer"})
    staff.refresh_from_db()
    assert staff.role == "viewer"
    owner_client.post(f"/team/members/{staff.pk}/remove/")
    assert not Membership.objects.filter(pk=staff.pk).exists()


def test_staff_see_the_team_but_cannot_change_it_or_manage_keys(merchant, owner, staff_client):
    page = staff_client.get("/team/").content.decode()
    assert "owner@a.example" in page and 'id="invite-form"' not in page and "Remove" not in page
    me = Membership.objects.get(merchant=merchant, user=owner)
    assert _invite(staff_client, "x@shop.example").status_code == 403
    assert staff_client.post(f"/team/members/{me.pk}/remove/").status_code == 403
    assert staff_client.post(f"/team/members/{me.pk}/role/", {"role": "viewer"}).status_code == 403
    settings_page = staff_client.post("/settings/", {"action": "create_key", "key-name": "mine", "key-role": "staff"}, follow=True)
    assert "Only an owner can create or revoke API keys." in settings_page.content.decode()
    assert not MerchantApiKey.objects.filter(merchant=merchant).exists()


def test_owner_creates_a_key_shown_once_and_revokes_it(merchant, owner_client):
    created = owner_client.post("/settings/", {"action": "create_key", "key-name": "ERP", "key-role": "owner"}).content.decode()
    key = re.search(r'<code id="new-api-key">([^<]+)</code>', created).group(1)
    stored = MerchantApiKey.objects.get(merchant=merchant)
    assert stored.role == "owner" and key.startswith(stored.prefix)
    assert key not in owner_client.get("/settings/").content.decode()
    owner_client.post("/settings/", {"action": "revoke_key", "key_id": stored.pk})
    stored.refresh_from_db()
    assert stored.revoked


def test_another_merchants_members_and_invitations_answer_404(merchant, owner, other_merchant):
    stranger = MembershipFactory(merchant=other_merchant, user__username="o@b.example")
    client = Client()
    client.force_login(stranger.user)
    me = Membership.objects.get(merchant=merchant, user=owner)
    with merchant_scope(merchant):
        invitation = Invitation.objects.create(merchant=merchant, email="z@shop.example", role="staff")
    assert client.post(f"/team/members/{me.pk}/remove/").status_code == 404
    assert client.post(f"/team/members/{me.pk}/role/", {"role": "viewer"}).status_code == 404
    assert client.post(f"/team/invitations/{invitation.pk}/withdraw/").status_code == 404
    assert "owner@a.example" not in client.get("/team/").content.decode()
    me.refresh_from_db()
    assert me.role == "owner"


def test_password_reset_by_email_also_lifts_a_login_lock_out(owner, settings, client):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/login/", {"username": "owner@a.example", "password": "wrong"})
    assert client.post("/login/", {"username": "owner@a.example", "password": PASSWORD}).status_code == 429

    assert "Forgot your password?" in client.get("/login/").content.decode()
    sent = client.post("/password-reset/", {"email": "OWNER@a.example"})
    assert sent.status_code == 302 and sent.url == "/password-reset/sent/"
    [message] = mail.outbox
    assert message.to == [owner.email] and message.subject == "Reset your Koongo password"
    # An unknown address answers the same page and sends nothing: the form never says who has an account.
    assert client.post("/password-reset/", {"email": "nobody@x.example"}).url == "/password-reset/sent/"
    assert len(mail.outbox) == 1

    form = client.get(_link(message), follow=True)
    assert 'name="new_password1"' in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/password-reset/done/"
    assert "This link was already used or has expired." in client.get(_link(message), follow=True).content.decode()
    signed_in = Client().post("/login/", {"username": "owner@a.example", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    # The throttle itself still works after a reset.
    other = Client()
    assert [other.post("/login/", {"username": "owner@a.example", "password": "x"}).status_code for _ in range(3)][-1] == 429


def test_admin_lists_invitations_across_merchants(admin_client, merchant, other_merchant):
    for m, email in ((merchant, "a@x.example"), (other_merchant, "b@x.example")):
        with merchant_scope(m):
            Invitation.objects.create(merchant=m, email=email, role="staff", invited_by_label="owner")
    page = admin_client.get("/admin/accounts/invitation/").content.decode()
    assert "a@x.example" in page and "b@x.example" in page
