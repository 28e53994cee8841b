"""Benchmark one full orders sync: N transfers over M connections against the simulators served on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/sync_orders.py --transfers 2000 --connections 2

Prints one line of JSON: `cpu_ms_per_order` (our threads' CPU minus their CPU inside HTTP calls), `queries_per_order`
(every thread's, counted with an execute wrapper), `store_calls_per_order` and `store_calls_per_order_by_platform` (a
small run on each of the five platforms), wall and HTTP time, and `ratio` = wall time / the time the HTTP calls and the
remotes' rate limits took. Tasks the run publishes run on `--workers` threads, as idle Celery workers would.
`--production-like` injects no transports. Ports: BENCH_MIINTO_PORT, BENCH_STORE_PORT (default: free ones).
Point it at a scratch database: each run adds a merchant (earlier benchmark stores are archived).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import resource
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")


class Wire:
    """Counts every HTTP call on real sockets (httpx.HTTPTransport), by remote, with its wall time and our thread's CPU
    inside it, so `cpu_ms_per_order` can leave out the time spent in the transport (and, with injected transports, in
    the simulator)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seconds = 0.0
        self.cpu_in_calls = 0.0
        self.calls: dict[str, int] = {}
        self.ports: dict[int, str] = {}

    def install(self):
        import httpx

        real = httpx.HTTPTransport.handle_request
        wire = self

        def handle_request(transport, request):
            started, started_cpu = time.perf_counter(), time.thread_time()
            try:
                response = real(transport, request)
                response.read()
                return response
            finally:
                with wire.lock:
                    wire.seconds += time.perf_counter() - started
                    wire.cpu_in_calls += time.thread_time() - started_cpu
                    remote = wire.ports.get(request.url.port, "other")
                    wire.calls[remote] = wire.calls.get(remote, 0) + 1

        httpx.HTTPTransport.handle_request = handle_request


class Worker:
    """An in-process stand-in for Celery workers: threads run the tasks the run and the pushes publish, as idle
    workers would pick them up, so decision batches and store pushes overlap (a 2-core worker runs 2 at once)."""

    def __init__(self, threads: int, count_query):
        self.queue: queue.Queue = queue.Queue()
        self.count_query = count_query
        self.cpu = 0.0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]

    def publish(self, name, *args):
        self.queue.put((name, args))

    def start(self):
        for thread in self.threads:
            thread.start()

    def _loop(self):
        from celery import current_app
        from django.db import connection as db

        from orders.store_adapters import store_adapters_close

        started = time.thread_time()
        with db.execute_wrapper(self.count_query):
            while True:
                item = self.queue.get()
                try:
                    if item is None:
                        break
                    name, args = item
                    current_app.tasks[name](*args)
                except Exception:  # a failing task is the outbox's business (it retries); keep the worker alive
                    import traceback

                    traceback.print_exc()
                finally:
                    self.queue.task_done()
        store_adapters_close()
        with self.lock:
            self.cpu += time.thread_time() - started
        db.close()

    def stop(self):
        self.queue.join()
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()


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


def free_port(variable: str) -> int:
    """The port named by an environment variable, else a free one."""
    if os.environ.get(variable):
        return int(os.environ[variable])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_once(platform: str, transfers: int, connection_count: int, production_like: bool, workers: int) -> dict:
    """One orders sync of `transfers` over `connection_count` connections to one store on `platform`."""
    import httpx
    from django.conf import settings
    from django.db import connection as db
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from catalog.models import Product, ProductListing
    from catalog.services import catalog_refresh
    from connections import clients, services
    from connections.models import MiintoConnection, StoreConnection
    from connections.sync import outbox
    from connections.sync.runs import sync_request, sync_run_execute
    from koongo.accounts.models import Merchant, Plan
    from koongo.accounts.tenancy import merchant_scope
    from koongo.sandbox_kit import PrefixMount, serve
    from miinto.markets import MARKETS
    from miinto.sandbox import MiintoSimulator
    from orders import decision_batches, store_batches
    from orders.models import Order, StorePush
    from orders.store_adapters import store_adapters_close
    from platforms import registry

    now = timezone.now()
    # Stores and shops of earlier runs are archived, so this run may connect the simulators' demo accounts again.
    with scopes_disabled():  # a benchmark's housekeeping across its own earlier merchants
        StoreConnection.objects.filter(merchant__name__startswith="Benchmark ", archived_at__isnull=True).update(archived_at=now)
        if hasattr(MiintoConnection, "archived_at"):
            MiintoConnection.objects.filter(merchant__name__startswith="Benchmark ", archived_at__isnull=True).update(archived_at=now)
    simulator = registry.sandbox_class(platform)(7)
    if platform == "shopify":
        # A Shopify Plus-sized cost bucket: the benchmark measures our overhead, not a small shop's throttle.
        with httpx.Client(transport=httpx.WSGITransport(app=simulator), base_url="http://sandbox") as control:
            control.post("/_sandbox/settings", json={"capacity": 1e9, "restore_rate": 1e9}).raise_for_status()
    gtins = [f"57{index:011d}" for index in range(50)]
    simulator.seed_products([
        {"gtin": gtin, "sku": f"BENCH-{i}", "title": f"Bench item {i}", "brand": "Bench", "color": "Black", "size": "M",
         "price": "100.00", "compare_at_price": None, "stock": 10**6}
        for i, gtin in enumerate(gtins)
    ])
    miinto = MiintoSimulator(seed=7)
    miinto_server = serve(miinto, port=free_port("BENCH_MIINTO_PORT"))
    store_server = serve(PrefixMount({platform: simulator}), port=free_port("BENCH_STORE_PORT"))
    wire.ports = {miinto_server.server_port: "miinto", store_server.server_port: "store"}
    settings.MIINTO_SIMULATOR_URL = f"http://127.0.0.1:{miinto_server.server_port}"
    store_url = f"http://127.0.0.1:{store_server.server_port}"
    merchant = Merchant.objects.create(name=f"Benchmark {uuid.uuid4().hex[:6]}", plan=Plan.objects.get(code="enterprise"))
    injected = contextlib.ExitStack()
    if not production_like:
        # The injected transports of the default mode (still real loopback sockets, one transport object per remote).
        injected.enter_context(clients.use_transport("miinto", httpx.HTTPTransport()))
        injected.enter_context(clients.use_transport(platform, httpx.HTTPTransport()))
    queries = [0]
    count_lock = threading.Lock()

    shapes: Counter = Counter()

    def count_query(execute, sql, params, many, context):
        with count_lock:
            queries[0] += 1
            if os.environ.get("BENCH_QUERY_SHAPES"):
                shapes[sql[:90]] += 1
        return execute(sql, params, many, context)

    worker = Worker(workers, count_query)
    real_enqueue = (outbox.enqueue, decision_batches.enqueue, store_batches.enqueue)
    outbox.enqueue = decision_batches.enqueue = store_batches.enqueue = worker.publish
    try:
        with injected, merchant_scope(merchant):
            credentials = simulator.demo_credentials(base_url=f"{store_url}/{platform}")
            store = services.store_connection_create(merchant=merchant, platform=platform, name="Bench store", credentials=credentials)
            services.store_connection_test(store_connection=store)
            store.refresh_from_db()
            with clients.store_adapter(store) as adapter:
                catalog_refresh(store, adapter)
            # Shops in the store's currency, so every position compares like for like and the store takes the order.
            markets = [m.code for m in MARKETS.values() if m.currency == (store.currency or "DKK")][:connection_count]
            if len(markets) < connection_count:
                markets = (markets * connection_count)[:connection_count]
            username = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            account = miinto.state.add_account(username, "bench-pw", [{"market": m, "name": f"Bench {m} {i}"} for i, m in enumerate(markets)])
            connections = []
            for shop_id in account.shop_ids:
                connection = services.miinto_connection_create(
                    merchant=merchant, environment="simulator", username=username, password="bench-pw", shop_id=shop_id,
                    store_connection=store, activate=True,
                )
                services.order_configuration_update(configuration=connection.order_configuration, auto_accept=True)
                connections.append(connection)
            ProductListing.objects.bulk_create([
                ProductListing(merchant=merchant, product=product, connection=connection, in_feed=True, exported_retail_price=100,
                               exported_discount_price=100, exported_currency=connection.currency, exported_price_at=now)
                for connection in connections
                for product in Product.objects.filter(store_connection=store)
            ])
            for index in range(transfers):
                shop_id = account.shop_ids[index % len(account.shop_ids)]
                miinto.state.create_transfer(shop_id, [{"gtin": gtins[index % len(gtins)], "price": 10000, "quantity": 1}])
            limiter_wait = patch_limiter_sleep()
            wire.seconds = wire.cpu_in_calls = 0.0
            wire.calls = {}
            worker.start()
            started_cpu, started = time.thread_time(), time.perf_counter()
            # A wrapper, not CaptureQueriesContext: that one keeps only the last 9,000 queries.
            with db.execute_wrapper(count_query):
                for connection in connections:
                    sync_run_execute(sync_request(connection=connection, flow="orders", trigger="admin"))
                main_cpu = time.thread_time() - started_cpu
                worker.stop()
            wall = time.perf_counter() - started
            orders = Order.objects.filter(merchant=merchant).count()
            in_store = StorePush.objects.filter(merchant=merchant, state="done").count()
    finally:
        outbox.enqueue, decision_batches.enqueue, store_batches.enqueue = real_enqueue
        store_adapters_close()
        miinto_server.shutdown()
        store_server.shutdown()
    if shapes:  # BENCH_QUERY_SHAPES=1: which statements the queries per order are, on stderr
        for shape, count in shapes.most_common(40):
            print(f"{count:6d} {shape}", file=sys.stderr)
    ours_cpu = main_cpu + worker.cpu - wire.cpu_in_calls
    http = wire.seconds
    return {
        "platform": platform, "transfers": transfers, "connections": connection_count, "orders": orders, "in_store": in_store,
        "wall_s": round(wall, 3), "http_s": round(http, 3), "rate_limit_wait_s": round(limiter_wait[0], 3),
        "cpu_ms_per_order": round(1000 * ours_cpu / orders, 1) if orders else None,
        "queries_per_order": round(queries[0] / orders, 2) if orders else None,
        "miinto_calls_per_order": round(wire.calls.get("miinto", 0) / orders, 2) if orders else None,
        "store_calls_per_order": round(wire.calls.get("store", 0) / orders, 2) if orders else None,
    }


wire = Wire()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--platform", default="shopify", help="the store of the main run")
    parser.add_argument("--production-like", action="store_true", help="no injected transports: clients open their own sockets")
    parser.add_argument("--workers", type=int, default=2, help="worker threads running the published tasks (Celery concurrency)")
    parser.add_argument("--platform-transfers", type=int, default=None,
                        help="transfers of each platform's run for store_calls_per_order_by_platform (default: min(transfers, 20); 0 skips)")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    call_command("migrate", verbosity=0)
    from platforms import registry

    wire.install()
    started_process_cpu = time.process_time()
    main_run = run_once(args.platform, args.transfers, args.connections, args.production_like, args.workers)
    by_platform = {}
    platform_transfers = min(args.transfers, 20) if args.platform_transfers is None else args.platform_transfers
    if platform_transfers:
        for code in registry.codes():
            try:
                by_platform[code] = run_once(code, platform_transfers, 1, args.production_like, args.workers)["store_calls_per_order"]
            except Exception as error:  # one platform's set-up failing must not hide the others' figures
                by_platform[code] = f"error: {type(error).__name__}: {error}"[:200]
    wall, http = main_run["wall_s"], main_run["http_s"]
    result = {
        **main_run,
        "production_like": args.production_like,
        "orders_per_s": round(main_run["orders"] / wall, 1) if wall else None,
        "store_calls_per_order_by_platform": by_platform,
        "process_cpu_s": round(time.process_time() - started_process_cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # The remotes' rate limits are part of the unavoidable network work: a replay would have to honour them too.
        "ratio": round(wall / (http + main_run["rate_limit_wait_s"]), 2) if http else None,
        "load_average": os.getloadavg()[0],
        "database": db.vendor,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
