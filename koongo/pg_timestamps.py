"""PostgreSQL timestamps parsed by psycopg's C loader instead of the pure-Python one Django registers.

Django's loader subclasses psycopg's Python `TimestamptzLoader` to put the connection's tzinfo on each value, so every
timestamp is parsed in Python: a tenth of a gunicorn worker's time on the API order list (py-spy). This loader gives
the same value with the same tzinfo, and lets the C loader do the parsing (7.5 µs → 1.8 µs a value).
"""

from __future__ import annotations

from psycopg import adapters, pq
from psycopg.adapt import Loader
from psycopg.postgres import types

TIMESTAMPTZ = types["timestamptz"].oid


def _c_loader():
    """psycopg's own text loader for timestamptz, when it is the C one (psycopg[binary] or [c]); else None."""
    loader = adapters.get_loader(TIMESTAMPTZ, pq.Format.TEXT)
    return loader if loader is not None and not loader.__module__.startswith("psycopg.") else None


def fast_tz_loader(tz):
    """A loader for `tz`, shaped like Django's: its `timezone` attribute is what Django's cursor check compares."""
    parse = _c_loader()

    class FastTzLoader(Loader):
        timezone = tz

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = parse(oid, context).load

        def load(self, data):
            return self._load(data).replace(tzinfo=self.timezone)

    return FastTzLoader


def use_fast_timestamps(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: on PostgreSQL with psycopg's C loader, register the fast one on the connection."""
    if connection.vendor != "postgresql" or _c_loader() is None:
        return
    connection.connection.adapters.register_loader("timestamptz", fast_tz_loader(connection.timezone))
