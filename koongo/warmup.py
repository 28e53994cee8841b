"""Load in the web server's master, before it forks, what each worker would otherwise build on its first requests.

Without it every new worker paid 100-500 ms on its first request of each kind: importing the URL conf and its views,
compiling the URL patterns once per language, compiling templates, and reading the translation catalogues and Babel's
locale data. The data-scale run counted those as p99s of paths whose median is 20 ms. Nothing here opens a database
connection. Called by gunicorn's `when_ready` (koongo/gunicorn_conf.py).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from koongo.money import money_text
from koongo.timefmt import when_text


def warm_up() -> dict:
    """URL patterns and translations per language, and every template of our apps; returns what was loaded."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            _populate(get_resolver())
            _reverse_each_namespace(get_resolver())
            # Babel reads a locale's CLDR data on its first use: format a sample amount and time in each language.
            money_text(Decimal("1.00"), "EUR")
            when_text(timezone.now())
    return {"languages": len(settings.LANGUAGES), "templates": _compile_templates()}


def _populate(resolver: URLResolver) -> None:
    """Compile a resolver's patterns for the active language, and those of every resolver below it (a namespaced one,
    such as the admin's, is not compiled with its parent)."""
    resolver.reverse_dict  # noqa: B018 - compiled and cached per language on first access
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            _populate(pattern)


def _reverse_each_namespace(resolver: URLResolver) -> None:
    """`reverse("ns:name")` goes through a resolver of its own per namespace (such as the admin prefix every request
    asks for), built and compiled on its first use: reverse one name in each."""
    for namespace, (_prefix, inner) in resolver.namespace_dict.items():
        name = next((key for key in inner.reverse_dict if isinstance(key, str)), None)
        if name is not None:
            with contextlib.suppress(NoReverseMatch):  # a name that needs arguments still builds the resolver
                reverse(f"{namespace}:{name}")


def _our_template_names() -> list[str]:
    """The names of the templates in the project's directory and in our apps (Django's own are not on hot paths)."""
    base = Path(settings.BASE_DIR).resolve()
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    ours = [Path(app.path).resolve() for app in apps.get_app_configs()]
    roots += [path / "templates" for path in ours if path.is_relative_to(base) and "site-packages" not in path.parts]
    return sorted({str(path.relative_to(root)) for root in roots if root.is_dir() for path in root.rglob("*.html")})


def _compile_templates() -> int:
    engine = engines["django"]
    compiled = 0
    for name in _our_template_names():
        try:
            engine.get_template(name)  # the cached loader keeps the compiled template for the worker
        except (TemplateDoesNotExist, TemplateSyntaxError):
            continue  # a broken template fails its own page and its tests, not the server's start
        compiled += 1
    return compiled
