"""Suite-wide set-up: which database runs the suite, and deselection of PostgreSQL-only tests on SQLite."""

import os

import pytest
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def _vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite" if "sqlite" in engine else engine


def pytest_collection_modifyitems(config, items):
    if _vendor() == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config._koongo_deselected = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    terminalreporter.write_line(f"koongo test database: {_vendor()}")
    count = getattr(config, "_koongo_deselected", 0)
    if count:
        terminalreporter.write_line(f"NOTICE: {count} PostgreSQL-only tests were deselected because the suite ran on SQLite.")
