"""Encrypted model fields on MultiFernet, with keys from FIELD_ENCRYPTION_KEYS (newest first) and rotation.

A decryption failure raises `DecryptionError`; the ciphertext is never handed back as if it were the value.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def configured_keys() -> list[str]:
    """The keys from settings, or in dev/demo a generated key kept in a local file."""
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    if keys:
        return keys
    if settings.IS_PROD:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production")
    path = settings.FIELD_ENCRYPTION_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return [path.read_text().strip()]


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {error}") from None


def fernet() -> MultiFernet:
    return _fernet(tuple(configured_keys()))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("a stored secret could not be decrypted with the configured keys") from None


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("a stored secret could not be decrypted with the configured keys") from None


class EncryptedTextField(models.TextField):
    """A text field stored as a Fernet token; the Python value is the plaintext."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return self.decode(decrypt(value))

    def get_prep_value(self, value):
        if value in (None, ""):
            return value
        return encrypt(self.encode(value))

    def to_python(self, value):
        return value

    def encode(self, value) -> str:
        return str(value)

    def decode(self, text: str):
        return text


class EncryptedJSONField(EncryptedTextField):
    """A JSON value stored encrypted; `{}` by default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def encode(self, value) -> str:
        return json.dumps(value, sort_keys=True)

    def decode(self, text: str):
        return json.loads(text)

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(self.encode(value))


def encrypted_fields():
    """Every (model, field) pair in the project that stores an encrypted value."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def undecryptable_secrets(*, sample: int | None = None) -> dict[str, tuple[int, int]]:
    """Per encrypted column ("app.Model.field"): (values the configured keys cannot decrypt, values checked).

    `sample` checks only the newest rows of each column (a cheap readiness probe); None checks every row.
    Raw tokens are read through a cast, so nothing is decrypted by the field itself.
    """
    from django.db.models import TextField
    from django.db.models.functions import Cast
    from django_scopes import scopes_disabled

    keys = fernet()
    report = {}
    # A maintenance check reads every merchant's secrets by design; nothing leaves this function but counts.
    with scopes_disabled():
        for model, field in encrypted_fields():
            rows = (
                model._base_manager.exclude(**{field.attname: ""})
                .exclude(**{f"{field.attname}__isnull": True})
                .annotate(raw_token=Cast(field.attname, TextField()))
                .order_by("-pk")
                .values_list("raw_token", flat=True)
            )
            tokens = rows[:sample] if sample else rows.iterator(chunk_size=2000)
            failed = checked = 0
            for token in tokens:
                checked += 1
                try:
                    keys.decrypt(token.encode())
                except InvalidToken:
                    failed += 1
            report[f"{model._meta.label}.{field.name}"] = (failed, checked)
    return report


def keys_problem(*, sample: int | None = None) -> str | None:
    """A sentence naming the key problem when stored secrets cannot be decrypted, else None."""
    report = undecryptable_secrets(sample=sample)
    failing = {column: counts for column, counts in report.items() if counts[0]}
    if not failing:
        return None
    failed = sum(counts[0] for counts in failing.values())
    checked = sum(counts[1] for counts in failing.values())
    columns = ", ".join(f"{column} ({counts[0]} of {counts[1]})" for column, counts in sorted(failing.items()))
    return (
        f"FIELD_ENCRYPTION_KEYS cannot decrypt {failed} of {checked} stored secrets: {columns}. "
        "The keys are wrong, or the key these secrets were written with is missing: "
        "set the key set that was in use when the data (or backup) was written."
    )
