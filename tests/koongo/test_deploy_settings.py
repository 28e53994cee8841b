"""Production settings: `manage.py check --deploy` passes with the documented variables; HTTPS is on by default there."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The README's Configuration table: what production must set; everything else defaults for prod.
PROD_ENV = {
    "DJANGO_ENV": "prod",
    "SECRET_KEY": "k" * 20 + "-a-long-random-production-signing-key-0123456789",
    "FIELD_ENCRYPTION_KEYS": "rhsQcz_Ubb37MXrqA6zfkzMq4tS4YaJP_AP0iYRACfE=",
    "ALLOWED_HOSTS": "koongo.example",
    "DJANGO_SETTINGS_MODULE": "koongo.settings",
}


def _run(*args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SECURE_", "DJANGO_", "DEBUG"))}
    env.update(PROD_ENV, **extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_in_prod_with_the_documented_variables():
    result = _run("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_settings_default_on_in_prod_and_follow_the_environment():
    show = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    assert _run("shell", "--no-imports", "-c", show).stdout.split() == ["True", "31536000", "True"]
    turned = _run("shell", "--no-imports", "-c", show, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="600", SECURE_HSTS_INCLUDE_SUBDOMAINS="0")
    assert turned.stdout.split() == ["False", "600", "False"]
    warned = _run("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    assert warned.returncode == 1 and "security.W004" in warned.stderr + warned.stdout and "security.W008" in warned.stderr + warned.stdout


def test_dev_and_test_never_redirect_or_send_hsts(settings):
    assert (settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS) == (False, 0)


def test_private_store_urls_are_refused_in_prod_unless_explicitly_allowed():
    show = "from django.conf import settings as s; print(s.ALLOW_PRIVATE_STORE_URLS)"
    assert _run("shell", "--no-imports", "-c", show).stdout.split() == ["False"]
    assert _run("shell", "--no-imports", "-c", show, ALLOW_PRIVATE_STORE_URLS="true").stdout.split() == ["True"]
