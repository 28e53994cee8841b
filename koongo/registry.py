"""Where apps plug their API routes and dashboard URLs into the root URLconf without koongo importing them.

Each app lists itself in INSTALLED_APPS; an app that has an `api_routes` list or a `dashboard_urlpatterns`
in its `urls` module is picked up here.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.urls import include, path


def _app_modules(name: str):
    for config in apps.get_app_configs():
        if config.name.startswith("django") or config.name == "koongo":
            continue
        try:
            yield config, import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.{name}":
                raise


def app_modules(name: str):
    """(app config, module) for every app of ours that has a module called `name`."""
    return _app_modules(name)


def api_routes():
    """(prefix, viewset, basename) triples from every app's `api.py` `api_routes` list."""
    for _, module in _app_modules("api"):
        yield from getattr(module, "api_routes", [])


def dashboard_urls():
    """Each app's `urls.py` `dashboard_urlpatterns`, mounted at the root."""
    for config, module in _app_modules("urls"):
        patterns = getattr(module, "dashboard_urlpatterns", None)
        if patterns:
            yield path("", include((patterns, config.label)))
