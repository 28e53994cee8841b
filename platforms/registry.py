"""Platform code → adapter class and simulator class, found by package convention so new adapters edit nothing here.

A platform package `platforms/<code>/` exposes `ADAPTER` in `adapter.py` and `SANDBOX` in `sandbox.py`.
Packages not yet written are simply absent; a package that exists but fails to import raises.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping

from platforms.base import StoreAdapter, StoreCredentials

# Display order in the dashboard and the README table.
PLATFORMS = ("shopify", "bigcommerce", "magento2", "prestashop", "shopware5")

_registered: dict[str, tuple[type[StoreAdapter], type | None]] = {}


class UnknownPlatform(KeyError):
    """No adapter is installed for this platform code."""


def register(adapter: type[StoreAdapter], sandbox: type | None = None) -> type[StoreAdapter]:
    """Register an adapter outside the package convention (tests, plugins); returns it so it can decorate."""
    _registered[adapter.code] = (adapter, sandbox)
    return adapter


def unregister(code: str) -> None:
    _registered.pop(code, None)


def _installed(code: str) -> bool:
    # find_spec on a submodule imports its parent, so ask about the package first.
    return (
        importlib.util.find_spec(f"platforms.{code}") is not None
        and importlib.util.find_spec(f"platforms.{code}.adapter") is not None
    )


def _load(code: str, module: str, attribute: str):
    found = getattr(importlib.import_module(f"platforms.{code}.{module}"), attribute)
    if getattr(found, "code", code) != code:
        raise TypeError(f"platforms.{code}.{module}.{attribute} declares code {found.code!r}")
    return found


def codes() -> list[str]:
    """Codes of every installed adapter, in display order, then explicitly registered ones."""
    known = [code for code in PLATFORMS if code in _registered or _installed(code)]
    return known + [code for code in _registered if code not in known]


def adapter_class(code: str) -> type[StoreAdapter]:
    if code in _registered:
        return _registered[code][0]
    if code not in PLATFORMS or not _installed(code):
        raise UnknownPlatform(code)
    return _load(code, "adapter", "ADAPTER")


def sandbox_class(code: str) -> type:
    """The simulator app class for a platform (a `koongo.sandbox_kit.StoreSandboxApp`)."""
    if code in _registered and _registered[code][1] is not None:
        return _registered[code][1]
    if code not in PLATFORMS or not _installed(code):
        raise UnknownPlatform(code)
    return _load(code, "sandbox", "SANDBOX")


def adapters() -> dict[str, type[StoreAdapter]]:
    return {code: adapter_class(code) for code in codes()}


def credentials_model(code: str) -> type[StoreCredentials]:
    return adapter_class(code).credentials_model


def build(code: str, credentials: StoreCredentials | Mapping, **options) -> StoreAdapter:
    """An adapter for `code`, its credentials validated by the platform's model; options as the constructor takes."""
    return adapter_class(code)(credentials, **options)
