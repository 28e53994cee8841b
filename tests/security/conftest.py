"""The security suites reuse the connection fixtures: simulators in-process and merchant A's tested connections."""

from tests.connections.conftest import connection, miinto_sim, scoped, shopify_sim, tested_store  # noqa: F401
