"""Each connection's catalog settings, and the feed's fixed URL and HTTP Basic Auth credentials (issued, rotated, checked).

The password is shown once, when it is issued, and only its SHA-256 is kept; a check compares in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import DEFAULT_FULL_REASSERT_HOURS, CatalogSettings
from connections.models import MiintoConnection

PASSWORD_BYTES = 32
TOKEN_BYTES = 32


@dataclass(frozen=True)
class FeedCredentials:
    """What the merchant pastes into Miinto once: the feed URL and the Basic Auth user and password."""

    url: str
    username: str
    password: str


def _hash(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def feed_path(catalog_settings: CatalogSettings) -> str:
    return reverse("catalog:feed", args=[catalog_settings.feed_token])


def feed_url(catalog_settings: CatalogSettings) -> str:
    """The absolute feed URL Miinto pulls: fixed for the connection's lifetime, no date in its name (§12.1)."""
    return django_settings.SITE_URL + feed_path(catalog_settings)


def catalog_settings_get(connection: MiintoConnection) -> CatalogSettings:
    """The connection's catalog settings, created with its unguessable feed token on first use."""
    found = CatalogSettings.objects.filter(connection=connection).first()
    if found is not None:
        return found
    fresh = CatalogSettings(
        merchant_id=connection.merchant_id,
        connection=connection,
        feed_token=secrets.token_urlsafe(TOKEN_BYTES),
        feed_username=f"miinto-{secrets.token_hex(4)}",
        full_reassert_hours=getattr(django_settings, "CATALOG_FULL_REASSERT_HOURS", DEFAULT_FULL_REASSERT_HOURS),
    )
    try:
        with transaction.atomic():
            fresh.save()
    except IntegrityError:
        return CatalogSettings.objects.get(connection=connection)  # created by a concurrent first use
    return fresh


@transaction.atomic
def feed_credentials_rotate(*, connection: MiintoConnection) -> FeedCredentials:
    """Issue a new feed password (the first, or one replacing the old, which stops working at once); shown only now."""
    catalog_settings = catalog_settings_get(connection)
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    catalog_settings.feed_password_hash = _hash(password)
    catalog_settings.credentials_issued_at = timezone.now()
    catalog_settings.save(update_fields=["feed_password_hash", "credentials_issued_at"])
    return FeedCredentials(url=feed_url(catalog_settings), username=catalog_settings.feed_username, password=password)


def basic_auth_pair(header: str) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic …` header, or None."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def feed_credentials_match(catalog_settings: CatalogSettings, header: str) -> bool:
    """Whether the header carries this connection's feed credentials; both parts are always compared, in constant time."""
    pair = basic_auth_pair(header)
    if pair is None or not catalog_settings.feed_password_hash:
        return False
    user, password = pair
    user_ok = hmac.compare_digest(user.encode(), catalog_settings.feed_username.encode())
    password_ok = hmac.compare_digest(_hash(password), catalog_settings.feed_password_hash)
    return user_ok & password_ok
