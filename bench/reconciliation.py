"""Benchmark one reconciliation run: N orders accepted in Miinto's back office (so each is a finding and costs a store
lookup), against the simulators served on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/reconciliation.py --orders 500

Prints one line of JSON: the run's wall time (split into HTTP, the remotes' rate-limit waits and our code), HTTP
requests and DB queries (total, so the constant shows), findings.
Point it at a scratch database: each run adds a merchant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args(argv)

    import django

    django.setup()
    import httpx
    from django.core.management import call_command
    from django.db import connection as db
    from django.utils import timezone

    from bench.sync_orders import Wire, patch_limiter_sleep
    from connections import services
    from koongo.accounts.models import Merchant, Plan
    from koongo.accounts.tenancy import merchant_scope
    from koongo.sandbox_kit import PrefixMount, serve
    from miinto.sandbox import MiintoSimulator
    from platforms.shopify.sandbox import DEFAULT_APP, ShopifySandbox
    from reconciliation.services import reconciliation_execute, reconciliation_start

    call_command("migrate", verbosity=0)
    miinto = MiintoSimulator(seed=7)
    username, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-pw"
    [shop_id] = miinto.state.add_account(username, password, [{"market": "DK", "name": "Bench DK", "localId": int(uuid.uuid4().int % 900_000) + 100_000}]).shop_ids
    shopify = ShopifySandbox(7)
    # A shop of its own per run: a store is connected to one account only, and the scratch database keeps earlier runs.
    domain = f"recon-{uuid.uuid4().hex[:8]}.myshopify.com"
    shopify.add_shop(domain, token=f"shpat_{uuid.uuid4().hex}", client_id=DEFAULT_APP[0])
    with httpx.Client(transport=httpx.WSGITransport(app=shopify), base_url="http://sandbox") as control:
        control.post("/_sandbox/settings", json={"capacity": 1e9, "restore_rate": 1e9}).raise_for_status()
    shop = miinto.state.shops[shop_id]
    for _ in range(args.orders):
        transfer = miinto.state.create_transfer(shop_id, [{"gtin": "5700000000001", "price": 10000, "quantity": 1}])
        miinto.state.decide_transfer(shop, transfer.id, [transfer.positions[0].id], [], source="miinto")
    miinto_server, store_server = serve(miinto), serve(PrefixMount({"shopify": shopify}))
    wire = Wire()  # counts and times every call on the real loopback sockets
    wire.install()
    merchant = Merchant.objects.create(name=f"Benchmark {uuid.uuid4().hex[:6]}", plan=Plan.objects.get(code="enterprise"))
    from django.conf import settings

    settings.MIINTO_SIMULATOR_URL = f"http://127.0.0.1:{miinto_server.server_port}"
    queries = [0]

    def count_query(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    try:
        with merchant_scope(merchant):
            credentials = shopify.demo_credentials(base_url=f"http://127.0.0.1:{store_server.server_port}/shopify", account=domain)
            store = services.store_connection_create(merchant=merchant, platform="shopify", name="Bench store", credentials=credentials)
            services.store_connection_test(store_connection=store)
            connection = services.miinto_connection_create(
                merchant=merchant, environment="simulator", username=username, password=password, shop_id=shop_id,
                store_connection=store, activate=True,
            )  # fmt: skip
            now = timezone.now()
            run = reconciliation_start(merchant=merchant, connection=connection, period_start=now - timedelta(days=1),
                                       period_end=now + timedelta(minutes=1), trigger="button")  # fmt: skip
            limiter_wait = patch_limiter_sleep()
            wire.seconds, wire.calls = 0.0, {}
            started = time.perf_counter()
            with db.execute_wrapper(count_query):
                run = reconciliation_execute(run)
            wall = time.perf_counter() - started
    finally:
        miinto_server.shutdown()
        store_server.shutdown()
    result = {
        "orders": args.orders,
        "findings": run.findings_total,
        "status": run.status,
        "wall_s": round(wall, 3),
        "http_requests": sum(wire.calls.values()),
        "http_s": round(wire.seconds, 3),
        "rate_limit_wait_s": round(limiter_wait[0], 3),
        "our_code_s": round(wall - wire.seconds - limiter_wait[0], 3),
        "db_queries": queries[0],
        "database": db.vendor,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
