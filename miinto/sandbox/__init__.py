"""A faithful, stateful Miinto simulator (WSGI) for tests, the demo and benchmarks; see `app.MiintoSimulator`."""

from miinto.sandbox.app import MiintoSimulator

__all__ = ["MiintoSimulator"]
