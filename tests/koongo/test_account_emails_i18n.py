"""The account e-mails (invitation, password reset) in the pseudo-locale: every sentence went through gettext, so
they reach the reader in their language; only links, addresses and names stay as they are (inside the sentences)."""

from __future__ import annotations

import re

from django.core import mail
from django.utils import translation

from koongo.accounts import invitations
from koongo.accounts.models import Role
from tests.i18n.pseudo import PSEUDO, pseudo_locale, unmarked_letters

LINK = re.compile(r"https?://\S+")


def _unmarked(text: str) -> list[str]:
    """The lines of a plain-text e-mail with words outside the ⟦…⟧ markers (a line that is only a link is data)."""
    return [line for line in text.splitlines() if unmarked_letters(LINK.sub("", line))]


def test_the_invitation_is_written_in_the_senders_language(settings, merchant, owner, django_capture_on_commit_callbacks):
    with pseudo_locale(settings), translation.override(PSEUDO), django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_send(merchant=merchant, actor=owner.memberships.get(), email="ann@shop.example", role=Role.VIEWER)
    [message] = mail.outbox
    assert _unmarked(message.subject) == [] and _unmarked(message.body) == [], message.body
    assert "Merchant A" in message.subject and "⟦viewer⟧" in message.body  # the role, in the reader's words


def test_the_password_reset_is_written_in_the_readers_language(settings, owner, client):
    with pseudo_locale(settings) as headers, translation.override(PSEUDO):
        assert client.post("/password-reset/", {"email": owner.email}, **headers).status_code == 302
    [message] = mail.outbox
    assert _unmarked(message.subject) == [] and _unmarked(message.body) == [], message.body
    assert owner.email in message.body and re.search(r"https?://testserver/\S+", message.body)
