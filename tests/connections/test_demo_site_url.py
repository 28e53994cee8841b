"""`make demo` on another port: label, feed and note links follow DEMO_PORT unless SITE_URL is set."""

import subprocess
import sys

import pytest

from connections.management.commands.rundemo import demo_environment


@pytest.fixture(autouse=True)
def isolated(monkeypatch, settings):
    """demo_environment writes os.environ and settings: both are restored after each test."""
    settings.SITE_URL, settings.MIINTO_DEFAULT_ENVIRONMENT = settings.SITE_URL, "production"
    monkeypatch.setenv("SITE_URL", "")
    monkeypatch.setenv("MIINTO_DEFAULT_ENVIRONMENT", "")
    monkeypatch.delenv("MIINTO_DEFAULT_ENVIRONMENT")


def test_site_url_follows_the_demo_port_when_unset(monkeypatch, settings):
    monkeypatch.setenv("SITE_URL", "")  # unset; monkeypatch restores the real value after
    assert demo_environment(8123) == "http://127.0.0.1:8123"
    assert settings.SITE_URL == "http://127.0.0.1:8123"
    # Gunicorn and the worker are children: they read it from the environment they inherit.
    child = subprocess.run([sys.executable, "-c", "import os; print(os.environ['SITE_URL'])"], capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "http://127.0.0.1:8123"


def test_a_site_url_that_is_set_wins(monkeypatch, settings):
    monkeypatch.setenv("SITE_URL", "https://koongo.example/")
    assert demo_environment(8123) == "https://koongo.example"
    assert settings.SITE_URL == "https://koongo.example"


def test_label_links_use_it(monkeypatch, settings):
    from types import SimpleNamespace

    from orders.shipments.labels import label_url

    monkeypatch.setenv("SITE_URL", "")  # unset; monkeypatch restores the real value after
    demo_environment(8010)
    token = "a" * 43
    assert label_url(SimpleNamespace(token=token)) == f"http://127.0.0.1:8010/labels/{token}.pdf"


def test_the_demo_wizard_offers_the_simulator_first(monkeypatch, settings):
    from connections.forms import MiintoLoginForm

    assert MiintoLoginForm().fields["environment"].initial == "production"
    demo_environment(8123)
    assert MiintoLoginForm().fields["environment"].initial == "simulator"
