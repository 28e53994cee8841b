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


def store_adapter(store_connection, *, on_call: Callable | None = None):
    """The platform adapter for a store connection, sharing the cross-process limiter and locks; its stock ledger
    keeps its marks in PostgreSQL."""
    from connections.stock_ledger import DatabaseLedgerRecords
    from platforms import registry

    return registry.build(
        store_connection.platform,
        store_connection.credentials,
        transport=_transports.get(store_connection.platform),
        limiter=rate_limiter(),
        locks=locks(),
        ledger_records=DatabaseLedgerRecords(store_connection.merchant_id),
        on_call=on_call,
    )
