"""Fixtures for the Miinto tests: a seeded simulator with one merchant (DK, SE and CN shops), its control API, a client."""

import pytest

from koongo.sandbox_kit import wsgi_transport
from miinto.client import MiintoClient
from miinto.environments import MiintoEnvironment
from miinto.sandbox import MiintoSimulator
from tests.miinto.simulated import CATALOG, PASSWORD, SHOPS, USER, Clock, Control


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sim(clock):
    app = MiintoSimulator(seed=7, clock=clock)
    Control(app)("POST", "accounts", {"username": USER, "password": PASSWORD, "shops": SHOPS, "catalog": CATALOG})
    return app


@pytest.fixture
def control(sim):
    return Control(sim)


@pytest.fixture
def transport(sim):
    return wsgi_transport(sim)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(transport, sleeps, clock):
    return MiintoClient(MiintoEnvironment.PRODUCTION, USER, PASSWORD, transport=transport, sleep=sleeps.append, clock=clock)
