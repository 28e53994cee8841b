"""EXPLAIN (ANALYZE, BUFFERS) of every query one page view runs, against a data set seeded by bench/data_scale.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/explain_path.py largest /api/v1/orders/

The request goes through Django's test client as the bench's user (`largest` or `median`), with the production
settings; each query it ran is explained again on the same connection. Prints plain text, one plan per query.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(label: str, url: str) -> None:
    from bench.data_scale import SEED_TABLE, server_env

    os.environ.update(server_env(tempfile.mkdtemp(prefix="koongo-explain-")))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("collectstatic", interactive=False, verbosity=0)  # the production storage renders from its manifest
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=f"bench-{label}"))
    client.get(url)  # warm: the plans below are of a page view, not of a cold cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    print(f"# {url} as bench-{label}: HTTP {response.status_code}, {len(captured.captured_queries)} queries")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT orders, merchants FROM {SEED_TABLE}")
        orders, merchants = cursor.fetchone()
        print(f"# data set: {orders:,} orders, {merchants:,} merchants\n")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "django_session" in sql:
                continue
            print(sql, "\n")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()), "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
