"""Benchmark idle polling: M connections with nothing new, one scheduler tick that runs every due flow of each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/idle_poll.py --connections 200 --production-like

Each connection has its own merchant, Miinto account (one DK shop) and Shopify store, on the simulators; their queues
are empty. A warm-up tick runs every flow once (first catalog refresh, Miinto logins), then every connection is made
due again and one dispatcher tick is measured, its tasks run in this process as an idle worker would run them.
Prints one line of JSON: our CPU and DB queries per connection tick (the dispatcher's share included) and how many
idle connections one worker core keeps fresh every 15 minutes (900,000 ms / CPU ms per connection tick).

Default: the simulators are injected as in-process transports, and the time inside them is taken off our CPU.
`--production-like`: the simulators run in a child process behind real loopback HTTP servers (ports from
BENCH_MIINTO_PORT / BENCH_STORE_PORT, else free ones), with no injected transport, and our CPU is this whole process's.
Point it at a scratch database: each run adds merchants, and puts off the connections earlier runs left there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")
MS_PER_15_MIN = 900_000


class TimingTransport:
    """Wraps an in-process transport and adds up the CPU spent inside it (the simulator's work, not ours)."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0

    def handle_request(self, request):
        started = time.thread_time()
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            self.seconds += time.thread_time() - started

    def close(self):
        self.inner.close()


def simulators(connections: int, run_id: str):
    """A Miinto simulator with one account (one DK shop) per connection, and a Shopify simulator with a shop each."""
    from miinto.sandbox import MiintoSimulator
    from platforms.shopify.sandbox import DEFAULT_APP, ShopifySandbox

    miinto, shopify = MiintoSimulator(seed=7), ShopifySandbox(7)
    shopify.settings.update(capacity=1e9, restore_rate=1e9)  # our overhead is measured, not a small shop's throttle
    accounts, base = [], int(run_id, 16) % 10**5 * 10**4  # shop ids unique across runs on one database
    for index in range(connections):
        username = f"idle-{run_id}-{index}@example.com"
        account = miinto.state.add_account(username, "bench-pw", [{"market": "DK", "name": f"Idle {index}", "localId": base + index}])
        domain = f"idle-{run_id}-{index}.myshopify.com"
        shopify.add_shop(domain, token=f"shpat_idle_{index}", client_id=DEFAULT_APP[0])
        shopify.seed_products([
            {"gtin": f"57{index:06d}{n:05d}", "sku": f"IDLE-{index}-{n}", "title": f"Idle item {n}", "brand": "Bench",
             "color": "Black", "size": "M", "price": "100.00", "compare_at_price": None, "stock": 5}
            for n in range(5)
        ], account=domain)  # fmt: skip
        accounts.append((username, account.shop_ids[0], domain))
    return miinto, shopify, accounts


def _serve_forever(apps, ports, ready):
    from koongo.sandbox_kit import PrefixMount, serve

    servers = [serve(apps[0], port=ports[0]), serve(PrefixMount({"shopify": apps[1]}), port=ports[1])]
    ready.put([server.server_port for server in servers])
    while True:
        time.sleep(3600)


def serve_in_child(miinto, shopify):
    """The simulators behind loopback HTTP servers in a forked child, so their CPU is not counted as ours."""
    context = multiprocessing.get_context("fork")
    ready = context.Queue()
    ports = (int(os.environ.get("BENCH_MIINTO_PORT", 0)), int(os.environ.get("BENCH_STORE_PORT", 0)))
    child = context.Process(target=_serve_forever, args=((miinto, shopify), ports, ready), daemon=True)
    child.start()
    return child, ready.get(timeout=30)


def setup(accounts, store_url: str) -> list:
    """Per account: a merchant, its Shopify store and an active, auto-accepting DK connection with a catalog."""
    from django.db import connection as db

    from catalog.services import catalog_refresh
    from connections import clients, services
    from koongo.accounts.models import Merchant, Plan
    from koongo.accounts.tenancy import merchant_scope
    from platforms.shopify.sandbox import DEFAULT_APP

    plan = Plan.objects.get(code="enterprise")
    connections = []
    for index, (username, shop_id, domain) in enumerate(accounts):
        merchant = Merchant.objects.create(name=f"Idle {username}", plan=plan)
        with merchant_scope(merchant):
            credentials = {"shop_domain": domain, "access_token": f"shpat_idle_{index}", "base_url": f"{store_url}/shopify/{domain}",
                           "app_client_secrets": [DEFAULT_APP[1]]}  # fmt: skip
            store = services.store_connection_create(merchant=merchant, platform="shopify", name="Idle store", credentials=credentials)
            services.store_connection_test(store_connection=store)
            with clients.store_adapter(store) as adapter:
                catalog_refresh(store, adapter)
            connection = services.miinto_connection_create(
                merchant=merchant, environment="simulator", username=username, password="bench-pw", shop_id=shop_id,
                store_connection=store, activate=True,
            )
            services.order_configuration_update(configuration=connection.order_configuration, auto_accept=True)
            connections.append(connection)
    with db.cursor() as cursor:
        cursor.execute("ANALYZE")
    return connections


def make_due(connections) -> None:
    """Ours due now; every other connection in the scratch database (earlier runs') put off, so the tick is ours alone."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from connections.models import MiintoConnection

    ours = [c.pk for c in connections]
    with scopes_disabled():  # the benchmark's own connections, across its merchants
        MiintoConnection.objects.exclude(pk__in=ours).update(next_sync_at=timezone.now() + timedelta(days=365))
        MiintoConnection.objects.filter(pk__in=ours).update(next_sync_at=timezone.now())


def tick() -> tuple[int, int]:
    """One dispatcher tick with its tasks run inline; returns (connections dispatched, flow runs made)."""
    from django_scopes import scopes_disabled

    from connections.models import SyncRun
    from connections.sync.runs import sync_dispatch_due

    with scopes_disabled():
        before = SyncRun.objects.count()
    dispatched = sync_dispatch_due(batch_size=100, max_batches=10**6)
    with scopes_disabled():
        return len(dispatched), SyncRun.objects.count() - before


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--production-like", action="store_true", help="loopback HTTP servers, no injected transports")
    args = parser.parse_args(argv)

    import django

    django.setup()
    import httpx
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection as db

    from connections import clients
    from connections.sync.runs import registered_flows
    from koongo.celery import app as celery_app

    call_command("migrate", verbosity=0)
    celery_app.conf.task_always_eager = True  # the tick's tasks run here, as an idle worker would run them
    miinto, shopify, accounts = simulators(args.connections, uuid.uuid4().hex[:6])
    child, injected = None, contextlib.ExitStack()
    wires: list[TimingTransport] = []
    if args.production_like:
        child, (miinto_port, store_port) = serve_in_child(miinto, shopify)
        settings.MIINTO_SIMULATOR_URL = f"http://127.0.0.1:{miinto_port}"
        store_url = f"http://127.0.0.1:{store_port}"
    else:
        from koongo.sandbox_kit import PrefixMount

        wires = [TimingTransport(httpx.WSGITransport(app=miinto)), TimingTransport(httpx.WSGITransport(app=PrefixMount({"shopify": shopify})))]
        settings.MIINTO_SIMULATOR_URL = "http://miinto.sim"
        store_url = "http://store.sim"
        # Kept open for the whole run (a dropped context manager would close and unplug its transport).
        injected.enter_context(clients.use_transport("miinto", wires[0]))
        injected.enter_context(clients.use_transport("shopify", wires[1]))
    try:
        connections = setup(accounts, store_url)
        make_due(connections)
        tick()  # warm-up: first catalog refresh, logins, caches
        make_due(connections)
        queries = [0]

        def count_query(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        for wire in wires:
            wire.seconds = 0.0
        # Whole-process CPU: the heartbeat threads are ours too; the simulators are in the child or taken off below.
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        with db.execute_wrapper(count_query):
            dispatched, flow_runs = tick()
        cpu = time.process_time() - cpu_started - sum(wire.seconds for wire in wires)
        wall = time.perf_counter() - wall_started
    finally:
        injected.close()
        if child is not None:
            child.kill()
    per_connection_ms = cpu * 1000 / dispatched
    result = {
        "connections": args.connections,
        "production_like": args.production_like,
        "dispatched": dispatched,
        "flows_registered": len(registered_flows()),
        "sync_runs_written_per_connection_tick": round(flow_runs / dispatched, 2),
        "cpu_ms_per_connection_tick": round(per_connection_ms, 2),
        "queries_per_connection_tick": round(queries[0] / dispatched, 2),
        "wall_ms_per_connection_tick": round(wall * 1000 / dispatched, 2),
        "idle_connections_per_worker_core_per_15min": round(MS_PER_15_MIN / per_connection_ms),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "database": db.vendor,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
