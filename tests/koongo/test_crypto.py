"""Encrypted fields: round trip, no plaintext at rest, wrong keys raise, and key rotation."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from koongo.crypto import DecryptionError
from tests.testapp.models import SecretHolder

pytestmark = pytest.mark.django_db


def _raw(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM testapp_secretholder WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_round_trip_and_no_plaintext_in_the_column():
    holder = SecretHolder.objects.create(label="x", secret="hunter2-password", config={"token": "tok-abc"})
    fresh = SecretHolder.objects.get(pk=holder.pk)
    assert fresh.secret == "hunter2-password"
    assert fresh.config == {"token": "tok-abc"}
    assert "hunter2" not in _raw(holder.pk, "secret")
    assert "tok-abc" not in _raw(holder.pk, "config")


def test_wrong_key_raises_and_never_returns_ciphertext(settings):
    holder = SecretHolder.objects.create(label="x", secret="s3cret")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError) as raised:
        SecretHolder.objects.get(pk=holder.pk)
    assert "s3cret" not in str(raised.value)
    assert _raw(holder.pk, "secret") not in str(raised.value)


def test_rotation_re_encrypts_so_the_old_key_can_go(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    holder = SecretHolder.objects.create(label="x", secret="rotate-me", config={"a": 1})
    before = _raw(holder.pk, "secret")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", batch_size=1, stdout=open("/dev/null", "w"))
    assert _raw(holder.pk, "secret") != before
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    fresh = SecretHolder.objects.get(pk=holder.pk)
    assert (fresh.secret, fresh.config) == ("rotate-me", {"a": 1})


def test_empty_values_stay_empty():
    holder = SecretHolder.objects.create(label="x")
    assert SecretHolder.objects.get(pk=holder.pk).secret == ""
    assert _raw(holder.pk, "secret") == ""


def test_the_key_check_names_the_columns_a_wrong_key_set_cannot_read(settings):
    from koongo.celery import refuse_undecryptable_secrets
    from koongo.crypto import keys_problem

    SecretHolder.objects.create(label="a", secret="one", config={"b": 2})
    SecretHolder.objects.create(label="b", secret="two")
    assert keys_problem() is None
    refuse_undecryptable_secrets()  # the worker starts

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    problem = keys_problem()
    assert problem.startswith("FIELD_ENCRYPTION_KEYS cannot decrypt 4 of 4 stored secrets:")
    assert "testapp.SecretHolder.config (2 of 2), testapp.SecretHolder.secret (2 of 2)" in problem
    assert "one" not in problem and "two" not in problem
    with pytest.raises(SystemExit) as refused:
        refuse_undecryptable_secrets()
    assert str(refused.value).startswith("koongo worker refuses to start: FIELD_ENCRYPTION_KEYS cannot decrypt 2 of 2")
