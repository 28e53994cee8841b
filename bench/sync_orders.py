"""Benchmark one full orders sync: N transfers over M connections against the simulators served on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/sync_orders.py --transfers 2000 --connections 2

Prints one line of JSON: orders/s, HTTP requests and DB queries per order, HTTP time against our time, peak RSS, and
`ratio` = our wall time / the baseline. Point it at a scratch database: each run adds a merchant. The baseline is the time the same HTTP calls took on the wire (measured per
call during the run), i.e. the unavoidable network work with no DB or Python of ours around it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")


class TimingTransport:
    """Wraps an httpx transport and adds up the time spent on the wire."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def handle_request(self, request):
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1

    def close(self):
        self.inner.close()


def patch_limiter_sleep() -> list[float]:
    """Count the seconds our shared rate limiter spends waiting for the remotes' budgets."""
    from koongo import coordination

    waited = [0.0]
    real = coordination.RateLimiter.wait

    def wait(self, key, *, rate, burst, max_wait):
        started = time.perf_counter()
        try:
            return real(self, key, rate=rate, burst=burst, max_wait=max_wait)
        finally:
            waited[0] += time.perf_counter() - started

    coordination.RateLimiter.wait = wait
    return waited


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=1)
    args = parser.parse_args(argv)

    import django

    django.setup()
    import httpx
    from django.core.management import call_command
    from django.db import connection as db
    from django.utils import timezone

    from catalog.models import Product, ProductListing
    from catalog.services import catalog_refresh
    from connections import clients, services
    from connections.sync.runs import sync_request, sync_run_execute
    from koongo.accounts.models import Merchant, Plan
    from koongo.accounts.tenancy import merchant_scope
    from koongo.sandbox_kit import PrefixMount, serve
    from miinto.sandbox import MiintoSimulator
    from orders.models import Order
    from platforms.shopify.sandbox import ShopifySandbox

    call_command("migrate", verbosity=0)
    from koongo.celery import app as celery_app

    # The orders run only queues its pushes; here they run in this process as each commit enqueues them, as an idle
    # worker would pick them up, so their store calls and time still count per order (and no broker is needed).
    celery_app.conf.task_always_eager = True
    markets = ["DK", "SE", "NO", "DE", "NL", "PL"][: args.connections]
    miinto = MiintoSimulator(seed=7)
    username, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-pw"
    account = miinto.state.add_account(username, password, [{"market": m, "name": f"Bench {m}"} for m in markets])
    shopify = ShopifySandbox(7)
    # A Shopify Plus-sized cost bucket: the benchmark measures our overhead, not a small shop's throttle.
    with httpx.Client(transport=httpx.WSGITransport(app=shopify), base_url="http://sandbox") as control:
        control.post("/_sandbox/settings", json={"capacity": 1e9, "restore_rate": 1e9}).raise_for_status()
    gtins = [f"57{index:011d}" for index in range(50)]
    shopify.seed_products([
        {"gtin": gtin, "sku": f"BENCH-{i}", "title": f"Bench item {i}", "brand": "Bench", "color": "Black", "size": "M",
         "price": "100.00", "compare_at_price": None, "stock": 10**6}
        for i, gtin in enumerate(gtins)
    ])
    miinto_server, store_server = serve(miinto), serve(PrefixMount({"shopify": shopify}))
    miinto_wire = TimingTransport(httpx.HTTPTransport())
    store_wire = TimingTransport(httpx.HTTPTransport())
    plan = Plan.objects.get(code="enterprise")
    merchant = Merchant.objects.create(name=f"Benchmark {uuid.uuid4().hex[:6]}", plan=plan)
    from django.conf import settings

    settings.MIINTO_SIMULATOR_URL = f"http://127.0.0.1:{miinto_server.server_port}"
    store_url = f"http://127.0.0.1:{store_server.server_port}"
    try:
        with clients.use_transport("miinto", miinto_wire), clients.use_transport("shopify", store_wire), merchant_scope(merchant):
            credentials = shopify.demo_credentials(base_url=f"{store_url}/shopify")
            store = services.store_connection_create(merchant=merchant, platform="shopify", name="Bench store", credentials=credentials)
            services.store_connection_test(store_connection=store)
            with clients.store_adapter(store) as adapter:
                catalog_refresh(store, adapter)
            connections = []
            for shop_id in account.shop_ids:
                connection = services.miinto_connection_create(
                    merchant=merchant, environment="simulator", username=username, password=password, shop_id=shop_id,
                    store_connection=store, activate=True,
                )
                services.order_configuration_update(configuration=connection.order_configuration, auto_accept=True)
                connections.append(connection)
            # Prices exported in each market's currency, so every shop's positions compare like for like.
            now = timezone.now()
            ProductListing.objects.bulk_create([
                ProductListing(merchant=merchant, product=product, connection=connection, in_feed=True, exported_retail_price=100,
                               exported_discount_price=100, exported_currency=connection.currency, exported_price_at=now)
                for connection in connections
                for product in Product.objects.filter(store_connection=store)
            ])
            for index in range(args.transfers):
                shop_id = account.shop_ids[index % len(account.shop_ids)]
                miinto.state.create_transfer(shop_id, [{"gtin": gtins[index % len(gtins)], "price": 10000, "quantity": 1}])
            limiter_wait = patch_limiter_sleep()
            miinto_wire.seconds = store_wire.seconds = 0.0
            miinto_wire.calls = store_wire.calls = 0
            started_cpu, started = time.process_time(), time.perf_counter()
            queries = [0]

            def count_query(execute, sql, params, many, context):
                queries[0] += 1
                return execute(sql, params, many, context)

            # A wrapper, not CaptureQueriesContext: that one keeps only the last 9,000 queries.
            with db.execute_wrapper(count_query):
                for connection in connections:
                    sync_run_execute(sync_request(connection=connection, flow="orders", trigger="admin"))
            wall = time.perf_counter() - started
            cpu = time.process_time() - started_cpu
            orders = Order.objects.filter(merchant=merchant).count()
    finally:
        miinto_server.shutdown()
        store_server.shutdown()
    # The remotes' rate limits are part of the unavoidable network work: a replay would have to honour them too.
    http = miinto_wire.seconds + store_wire.seconds + limiter_wait[0]
    calls = miinto_wire.calls + store_wire.calls
    result = {
        "transfers": args.transfers,
        "connections": args.connections,
        "orders": orders,
        "wall_s": round(wall, 3),
        "orders_per_s": round(orders / wall, 1) if wall else None,
        "http_requests_per_order": round(calls / orders, 2) if orders else None,
        "db_queries_per_order": round(queries[0] / orders, 2) if orders else None,
        "http_s": round(http, 3),
        "rate_limit_wait_s": round(limiter_wait[0], 3),
        "our_code_s": round(wall - http, 3),
        "process_cpu_s": round(cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "ratio": round(wall / http, 2) if http else None,
        "database": db.vendor,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
