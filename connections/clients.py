"""Builds the Miinto client and store adapters for a connection, with shared limiter, locks and activity logging.

Tests and the demo point connections at the simulators; `use_transport()` lets tests swap in an in-process one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx
from django.conf import settings
from django.db import transaction

from koongo.coordination import locks, rate_limiter
from koongo.url_guard import check_url
from miinto.client import MiintoClient, MiintoSession
from miinto.environments import MiintoEnvironment, available_environments

_transports: dict[str, httpx.BaseTransport] = {}


@contextlib.contextmanager
def use_transport(target: str, transport: httpx.BaseTransport):
    """Route every client for `target` ("miinto" or a platform code) through `transport` while the block runs."""
    previous = _transports.get(target)
    _transports[target] = transport
    try:
        yield transport
    finally:
        if previous is None:
            _transports.pop(target, None)
        else:
            _transports[target] = previous


def transport_for(target: str) -> httpx.BaseTransport | None:
    return _transports.get(target)


def miinto_environments() -> dict[str, MiintoEnvironment]:
    return available_environments(settings.MIINTO_ENVIRONMENTS, settings.MIINTO_SIMULATOR_URL)


def miinto_environment(name: str) -> MiintoEnvironment:
    try:
        return miinto_environments()[name]
    except KeyError:
        raise ValueError(f"unknown Miinto environment {name!r}") from None


def miinto_login_client(environment: str, username: str, password: str, *, on_call: Callable | None = None) -> MiintoClient:
    """A client for credentials that are not saved yet (the Get Available Stores step)."""
    return MiintoClient(
        miinto_environment(environment),
        username,
        password,
        transport=_transports.get("miinto"),
        rate_limit_limiter=rate_limiter(),
        on_call=on_call,
    )


def miinto_client(connection, *, on_call: Callable | None = None) -> MiintoClient:
    """A client for a saved connection; a (re-)login's channel and token are cached on the connection, encrypted."""
    session = MiintoSession(connection.channel_id, connection.channel_token) if connection.channel_token else None

    def remember(new_session: MiintoSession) -> None:
        from connections.models import MiintoConnection

        connection.channel_id, connection.channel_token = new_session.channel_id, new_session.token
        # Outside any surrounding transaction's fate: a token that works must survive a rolled-back sync step.
        with transaction.atomic():
            MiintoConnection.objects.filter(pk=connection.pk).update(
                channel_id=new_session.channel_id, channel_token=new_session.token
            )

    return MiintoClient(
        miinto_environment(connection.environment),
        connection.username,
        connection.password,
        session=session,
        on_session=remember,
        transport=_transports.get("miinto"),
        rate_limit_limiter=rate_limiter(),
        on_call=on_call,
    )


def check_store_urls(platform: str, credentials) -> None:
    """Raise UnsafeUrl unless every URL these credentials make the adapter call passes the SSRF guard."""
    from platforms import registry

    if isinstance(credentials, dict):
        credentials = registry.credentials_model(platform).model_validate(credentials)
    for url in credentials.outbound_urls():
        check_url(url, allow_private=settings.ALLOW_PRIVATE_STORE_URLS)


def server_location(platform: str, credentials: dict) -> dict:
    """The location fields Koongo itself sets for a new store (the Shopify simulator in development); {} for real stores."""
    if platform == "shopify" and settings.SHOPIFY_API_BASE_URL and credentials.get("shop_domain"):
        from platforms.shopify.credentials import normalize_shop_domain
        from platforms.shopify.oauth import shop_url

        try:
            return {"base_url": shop_url(normalize_shop_domain(str(credentials["shop_domain"])), settings.SHOPIFY_API_BASE_URL)}
        except ValueError:
            return {}  # the credentials model reports the bad domain on its field
    return {}


def store_adapter(store_connection, *, on_call: Callable | None = None):
    """The platform adapter for a store connection, sharing the cross-process limiter and locks; its stock ledger
    keeps its marks in PostgreSQL.

    The store's URLs pass the SSRF guard again first: a name that resolved to a public address at connect time may not
    any more (a cheap lookup per adapter, not per request).
    """
    from connections.stock_ledger import DatabaseLedgerRecords
    from platforms import registry

    check_store_urls(store_connection.platform, store_connection.credentials)
    return registry.build(
        store_connection.platform,
        store_connection.credentials,
        transport=_transports.get(store_connection.platform),
        limiter=rate_limiter(),
        locks=locks(),
        ledger_records=DatabaseLedgerRecords(store_connection.merchant_id),
        on_call=on_call,
    )
