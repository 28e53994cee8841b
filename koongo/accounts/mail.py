"""E-mails a worker sends to a merchant's people, each written in the reader's own language.

A worker has no request, so no Accept-Language: the reader's saved choice decides, else the site's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import translation

from koongo.accounts.language import language_codes

Compose = Callable[[], tuple[str, str]]


def member_addresses(memberships) -> list[tuple[str, str]]:
    """(e-mail, saved language) of each member of a Membership queryset with an address, in one query."""
    rows = memberships.values_list("user__email", "user__preference__language")
    return sorted({(email, language or "") for email, language in rows if email})


def by_language(addresses: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The addresses grouped by the language each reader gets: their saved one if still offered, else the site's."""
    offered = set(language_codes())
    groups: dict[str, list[str]] = defaultdict(list)
    for email, language in addresses:
        groups[language if language in offered else settings.LANGUAGE_CODE].append(email)
    return {language: sorted(set(emails)) for language, emails in sorted(groups.items())}


def send_in_their_languages(addresses: Iterable[tuple[str, str]], compose: Compose, *, one_each: bool = False) -> int:
    """Send `compose()`'s subject and body, composed once per language; `one_each` hides the readers from each other."""
    messages = []
    for language, emails in by_language(addresses).items():
        with translation.override(language):
            subject, body = compose()
        recipients = [[email] for email in emails] if one_each else [emails]
        messages += [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to) for to in recipients]
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
