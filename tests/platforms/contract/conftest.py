"""Contract-suite fixtures: every test runs once per registered platform, against that platform's simulator.

A new adapter joins the suite by existing: `platforms/<code>/adapter.py` with ADAPTER and `sandbox.py` with SANDBOX.
"""

import pytest

from platforms import registry
from tests.platforms.contract.catalog import CATALOG
from tests.platforms.contract.harness import StoreHarness


@pytest.fixture(params=registry.codes())
def harness(request) -> StoreHarness:
    return StoreHarness.start(request.param)


@pytest.fixture
def seeded(harness) -> StoreHarness:
    """The harness with the contract catalog in the store."""
    harness.app.seed_products(CATALOG)
    return harness
