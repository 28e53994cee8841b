"""Timestamps read from PostgreSQL through psycopg's C parser keep Django's values and tzinfo exactly."""

import datetime

import pytest
from django.db import connection

from koongo.pg_timestamps import fast_tz_loader

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_connection_reads_timestamps_with_the_fast_loader_and_the_same_values_as_djangos():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, %s::timestamptz, NULL::timestamptz",
                       ["2026-03-29 02:30:00.123456+02", "0001-01-01 00:00:00+00"])
        row = cursor.fetchone()
    assert connection.connection.adapters.get_loader(1184, 0).__name__ == "FastTzLoader"
    assert row == (datetime.datetime(2026, 3, 29, 0, 30, 0, 123456, tzinfo=datetime.UTC),
                   datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), None)
    assert row[0].tzinfo is datetime.UTC

    class DjangosLoader(BaseTzLoader):
        timezone = connection.timezone

    djangos, fast = DjangosLoader(1184, connection.connection), fast_tz_loader(connection.timezone)(1184, connection.connection)
    for text in (b"2026-10-31 12:34:56.5+00", b"2026-10-31 12:34:56+00", b"1999-12-31 23:59:59.999999+00"):
        assert fast.load(text) == djangos.load(text) and fast.load(text).tzinfo is djangos.load(text).tzinfo
