"""Login throttling with django-axes: per (IP, username), behind a declared proxy only, and a lock-out that expires."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

VICTIM = "owner@a.example"
PASSWORD = "pass-word-123"


@pytest.fixture(autouse=True)
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def attempt(client, password, *, ip="203.0.113.7", username=VICTIM, **meta):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **meta)


def fail_three_times(client, **kwargs):
    """The limit's failures: the last one already answers with the lock-out."""
    assert [attempt(client, "wrong", **kwargs).status_code for _ in range(3)] == [200, 200, 429]


def test_repeated_failures_lock_that_ip_and_username_out_with_a_429(client, owner):
    fail_three_times(client)
    blocked = attempt(client, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts. Wait 15 minutes and try again." in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_attacker_elsewhere_cannot_lock_the_merchant_out(client, owner):
    fail_three_times(client, ip="198.51.100.66")
    assert attempt(client, "wrong", ip="198.51.100.66").status_code == 429
    signed_in = attempt(client, PASSWORD, ip="203.0.113.7")
    assert signed_in.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)


def test_the_lock_out_expires_after_the_cool_off(client, owner):
    fail_three_times(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert attempt(client, PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert attempt(client, PASSWORD).status_code == 302


def test_usernames_are_counted_case_insensitively(client, owner):
    for spelling in ("Owner@A.example", "OWNER@a.example", "owner@a.example"):
        attempt(client, "wrong", username=spelling)
    assert attempt(client, PASSWORD).status_code == 429


def test_without_a_declared_proxy_a_forged_forwarded_for_header_changes_nothing(client, owner):
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        attempt(client, "wrong", HTTP_X_FORWARDED_FOR=forged)
    assert attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.4").status_code == 429


def test_behind_a_declared_proxy_each_client_is_counted_by_its_own_address(client, owner, settings):
    """One proxy (TRUSTED_PROXY_COUNT=1): every request comes from its address, the client's is the one it appended."""
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    proxy = "10.0.0.2"
    fail_three_times(client, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.66")
    # The attacker also claims the merchant's address; the proxy appends the one it really saw.
    attempt(client, "wrong", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.66")
    attempt(client, "wrong", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.66")
    signed_in = attempt(client, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert signed_in.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)


def test_the_proxy_settings_follow_the_environment():
    import subprocess
    import sys

    show = "from django.conf import settings as s; print(s.AXES_IPWARE_PROXY_COUNT, s.AXES_IPWARE_META_PRECEDENCE_ORDER)"
    env = {"DJANGO_SETTINGS_MODULE": "koongo.settings", "PATH": "/usr/bin:/bin"}

    def shown(**extra):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", show], env={**env, **extra}, capture_output=True, text=True
        )
        return result.stdout.strip()

    assert shown() == "None ['REMOTE_ADDR']"
    assert shown(TRUSTED_PROXY_COUNT="2") == "1 ['HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR']"
