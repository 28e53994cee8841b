"""Suite-wide set-up: which database runs the suite, and deselection of PostgreSQL-only tests on SQLite."""

import os
from pathlib import Path

import pytest
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def _vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite" if "sqlite" in engine else engine


def pytest_sessionstart(session):
    # Tests read the catalogues as the .po files are now, even when `make install` has not compiled them since.
    from tests.i18n.catalogues import compile_messages

    compile_messages().compile_all(only_stale=True)


def pytest_collection_modifyitems(config, items):
    if _vendor() == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_terminal_summary(terminalreporter, config):
    # Printed by the controlling process (under xdist the workers collect), so it names the rule, not a count.
    vendor = _vendor()
    terminalreporter.write_line(f"koongo test database: {vendor}")
    if vendor != "postgresql":
        terminalreporter.write_line("NOTICE: PostgreSQL-only tests were deselected because the suite ran on SQLite.")


@pytest.fixture(autouse=True)
def _own_remote_lists(monkeypatch):
    """Each test its own cached remote lists (the test cache outlives a test), so no test sees another's providers."""
    import uuid

    from connections import remote_choices

    monkeypatch.setattr(remote_choices, "KEY_NAMESPACE", f"remote-lists-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory(name="Merchant A")


@pytest.fixture
def other_merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory(name="Merchant B")


@pytest.fixture
def owner(merchant):
    from tests.factories import MembershipFactory

    return MembershipFactory(merchant=merchant, user__username="owner@a.example").user


@pytest.fixture
def danish_owner(merchant, owner):
    """Merchant A's owner reads Danish; a second owner, "co@a.example", left it to the browser (so: English)."""
    from koongo.accounts.models import UserPreference
    from tests.factories import MembershipFactory

    UserPreference.objects.create(user=owner, language="da")
    MembershipFactory(merchant=merchant, user__username="co@a.example")
    return owner


@pytest.fixture
def owner_client(client, owner):
    """A Django test client logged in as merchant A's owner."""
    client.force_login(owner)
    return client


def make_api_client(merchant, role="staff"):
    """A DRF client authenticated by a new API key of the merchant, with the given role."""
    from rest_framework.test import APIClient

    from koongo.accounts.services import api_key_create

    _, key = api_key_create(merchant=merchant, name=f"test-{role}", role=role)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


@pytest.fixture
def api_client(merchant):
    return make_api_client(merchant, "staff")


@pytest.fixture
def viewer_api_client(merchant):
    return make_api_client(merchant, "viewer")


# --- browser journeys: pytest-playwright driving Debian's Chromium (never a downloaded browser) ----------------
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot named after the test into test-artifacts/."""

    def take(name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take


@pytest.fixture(autouse=True)
def _fresh_prestashop_constants():
    """Each test's simulators start anew behind the same shop URL: no shop constants carry over from another test."""
    from platforms.prestashop.connection import forget_shop_constants

    forget_shop_constants()
    yield
    forget_shop_constants()
