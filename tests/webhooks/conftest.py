"""Fixtures for webhook tests: a real receiver on loopback and an endpoint of merchant A that points at it."""

import pytest

from tests.connections.conftest import connection, miinto_sim, scoped, shopify_sim, tested_store  # noqa: F401
from webhooks.receiver import Receiver, start


@pytest.fixture
def receiver():
    recorded = Receiver()
    server = start(recorded)
    yield recorded
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint_and_secret(merchant, receiver):
    """An endpoint of merchant A for every event type, at the loopback receiver, and its once-shown secret."""
    from koongo.accounts.tenancy import merchant_scope
    from webhooks import services
    from webhooks.event_types import EVENT_TYPES

    with merchant_scope(merchant):
        return services.endpoint_create(merchant=merchant, url=receiver.url, event_types=list(EVENT_TYPES))
