"""Benchmark the Miinto product feed: N products on PostgreSQL, pulled over HTTP with Basic Auth, as Miinto pulls it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench_feed python bench/feed.py --products 100000

Prints one line of JSON. `first_pull` is the worst case (every listing, price export and frozen key is written);
`repeat_pull` is the steady state (nothing changed). Each has the time to first byte, the total time and rows/s;
§12.1 asks for ≤ 5 s and ≤ 15 s. The data is written by a child process, so `peak_rss_mb` is the serving process alone
(Django and the loopback server; curl is the client) and `rss_growth_mb` is what the pulls added on top of its start;
`traced_peak_mb` is the Python heap's peak over one more (untimed) repeat pull, by tracemalloc: flat memory means it
stays at a few chunks whatever the catalog's size. `server_cpu_s` is the serving process's CPU for each pull (on a
shared machine steadier than the wall time); issue 15's target for the first pull is ≤ 8 s. Point it at a scratch
database: each run adds a merchant.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")
BATCH = 5000
IMAGE = "https://cdn.example.com/products/{n}.jpg"


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_s() -> float:
    """This process's CPU (every thread: the server, the chunk recorder); PostgreSQL's own work is not in it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_pull(base: str, target: dict) -> dict:
    cpu = _cpu_s()
    result = pull(base, target)
    return {**result, "server_cpu_s": round(_cpu_s() - cpu, 3)}


def traced_pull(base: str, target: dict) -> float:
    """Peak Python memory (MB) the server allocated during one more repeat pull, by tracemalloc (untimed: it slows Python)."""
    import tracemalloc

    tracemalloc.start()
    try:
        pull(base, target)
        return round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    finally:
        tracemalloc.stop()


def prepare(products: int) -> dict:
    """A merchant with a store of `products` variants (1 in 100 has no usable image) and a DK connection with credentials."""
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection as db

    from catalog.feed_access import feed_credentials_rotate
    from catalog.models import Product
    from connections.models import ConnectionStatus, MiintoConnection, OrderConfiguration, StoreConnection
    from koongo.accounts.models import Merchant, Plan
    from koongo.accounts.tenancy import merchant_scope

    call_command("migrate", verbosity=0)
    merchant = Merchant.objects.create(name=f"Feed benchmark {uuid.uuid4().hex[:6]}", plan=Plan.objects.get(code="enterprise"))
    with merchant_scope(merchant):
        store = StoreConnection.objects.create(
            merchant=merchant, platform="shopify", name="Bench store", credentials={}, currency="DKK", prices_include_tax=True
        )
        connection = MiintoConnection.objects.create(
            merchant=merchant, environment="simulator", username="bench", password="bench", channel_id="", channel_token="",
            shop_id=f"1-m!i!s-045-{uuid.uuid4().int % 10**6}", market="DK", shop_name="Bench DK", currency="DKK",
            store_connection=store, status=ConnectionStatus.ACTIVE,
        )  # fmt: skip
        OrderConfiguration.objects.create(merchant=merchant, connection=connection)
        sizes = ("XS", "S", "M", "L", "XL")
        for start in range(0, products, BATCH):
            Product.objects.bulk_create(
                [
                    Product(
                        merchant=merchant, store_connection=store, store_product_id=str(n // 5), store_variant_id=str(n), sku=f"BENCH-{n}",
                        gtin=f"57{n:011d}", identifiers={"id": str(n), "sku": f"BENCH-{n}"}, title=f"Organic cotton tee no. {n // 5}",
                        brand="Nordic Threads", color="Washed blue", size=sizes[n % 5], category="Men > Tops > T-Shirts", gender="M",
                        image_urls=[] if n % 100 == 99 else [IMAGE.format(n=n), IMAGE.format(n=f"{n}-back")], stock=n % 9,
                        final_price=Decimal("199.95") if n % 4 else Decimal("149.95"), original_price=Decimal("199.95"),
                        price_currency="DKK", prices_include_tax=True, item_group_id=f"{n // 5}-washed-blue",
                        description="Soft organic cotton, <b>regular fit</b>.",
                    )
                    for n in range(start, min(start + BATCH, products))
                ]
            )  # fmt: skip
        credentials = feed_credentials_rotate(connection=connection)
    with db.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does soon after a bulk load: the planner then knows the table's size
    return {
        "path": credentials.url.split("://", 1)[1].split("/", 1)[1],
        "username": credentials.username,
        "password": credentials.password,
    }


def pull(base: str, target: dict) -> dict:
    """One GET as Miinto does it, by curl in its own process (a client in this process would share its interpreter)."""
    timing = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", "--http1.1", "--max-time", "120", "--user",
         f"{target['username']}:{target['password']}", "--output", "/dev/null", "--write-out",
         "%{time_starttransfer} %{time_total} %{size_download}", f"{base}/{target['path']}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    first, total, size = float(timing[0]), float(timing[1]), int(timing[2])
    rows = _served_rows(target["path"])
    return {
        "ttfb_s": round(first, 3),
        "total_s": round(total, 3),
        "rows": rows,
        "rows_per_s": round(rows / total),
        "mb": round(size / 1e6, 1),
    }


def _served_rows(path: str) -> int:
    from django_scopes import scopes_disabled

    from catalog.models import CatalogSettings

    token = path.rsplit("/", 1)[-1].removesuffix(".tsv")
    with scopes_disabled():  # a benchmark reading its own connection's counters
        return CatalogSettings.objects.get(feed_token=token).feed_rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument(
        "--prepare", action="store_true", help="only write the data and print the feed's credentials (the child step)"
    )
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(prepare(args.products)))
        return {}

    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--prepare", "--products", str(args.products)], capture_output=True, text=True, check=True
    )
    target = json.loads(child.stdout.strip().splitlines()[-1])
    prepare_s = time.perf_counter() - started

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection as db

    from koongo.sandbox_kit import serve

    server = serve(get_wsgi_application())
    base = f"http://127.0.0.1:{server.server_port}"
    rss_before = _rss_mb()
    try:
        first = timed_pull(base, target)
        repeat = timed_pull(base, target)
        traced_peak_mb = traced_pull(base, target)
    finally:
        server.shutdown()
    result = {
        "products": args.products,
        "database": db.vendor,
        "prepare_s": round(prepare_s, 1),
        "first_pull": first,
        "repeat_pull": repeat,
        "limits": {"ttfb_s": 5, "total_s": 15},
        "peak_rss_mb": _rss_mb(),
        "rss_growth_mb": round(_rss_mb() - rss_before, 1),
        "traced_peak_mb": traced_peak_mb,
        "targets": {"first_pull_total_s": 8},
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
