"""The chaos run's world: simulators, the merchant and its ten connections, the load and fault schedule, the invariants.

Used by bench/chaos.py, which owns the processes (Redis, workers, beat); everything here runs in the driver process.
"""

from __future__ import annotations

import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

from bench.chaos import MARKETS, MODES, PLATFORMS, STALL_LIMIT_S, SUCCESS

# The flows that read what the merchant does in the store: its shipments and its refunds.
STORE_READS = {"shipments", "refunds"}

FAULTS = {"error_rate": 0.10, "rate_limit_rate": 0.05, "timeout_rate": 0.05, "malformed_rate": 0.01}


class World:
    """Simulators served on loopback, the merchant on PostgreSQL, and what the driver needs to check them later."""

    def __init__(self, args, database_url: str, redis_url: str, workdir: str):
        os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = database_url, redis_url
        os.environ.setdefault("LOG_LEVEL", "ERROR")  # one JSON line out; the workers' logs go to their files
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.args, self.workdir = args, workdir
        self.rng = random.Random(args.seed)
        self.returned: set[int] = set()  # Miinto order ids with a customer return
        self.refunded_in_store: set[int] = set()  # Miinto order ids the merchant refunded in the store
        # When the merchant last shipped or refunded in the store, per connection: the run is not quiet until that
        # connection's store has been read since (a shipment made a second before the end is not yet ours to send).
        self.store_acted_at: dict[int, object] = {}
        # Units the merchant's own store refunds put back on the shelf, per store and SKU (see STORE_REFUNDS_RESTOCK).
        self.merchant_restocked: defaultdict[str, Counter] = defaultdict(Counter)

    # --- simulators --------------------------------------------------------------------------------
    def serve_simulators(self) -> list:
        import httpx

        from connections.demo import demo_store_catalog
        from koongo.sandbox_kit import PrefixMount, serve
        from miinto.sandbox.app import MiintoSimulator
        from platforms.sandbox import build_simulators, seed_catalog

        self.miinto = MiintoSimulator(self.args.seed, scenario="empty", label_delay=0)
        self.stores = {code: app for code, app in build_simulators(self.args.seed).items() if code in PLATFORMS}
        seed_catalog(self.stores, demo_store_catalog())
        miinto_server, store_server = serve(self.miinto), serve(PrefixMount(self.stores))
        self.miinto_url = f"http://127.0.0.1:{miinto_server.server_port}"
        self.store_url = f"http://127.0.0.1:{store_server.server_port}"
        self.control = httpx.Client(timeout=30)
        # A Plus-sized Shopify cost bucket: throttling here is the injected 429s, not a small shop's budget.
        self.control.post(f"{self.store_url}/shopify/_sandbox/settings", json={"capacity": 1e9, "restore_rate": 1e9})
        return [miinto_server, store_server]

    def faults_on(self, scale: float) -> None:
        from koongo.sandbox_kit import Faults

        for index, app in enumerate([self.miinto, *self.stores.values()]):
            with app.lock:
                app.faults = Faults(seed=self.args.seed * 100 + index, retry_after=1, timeout_seconds=3,
                                    timeout_after_apply_share=0.5, **{k: v * scale for k, v in FAULTS.items()})

    def faults_injected(self) -> dict:
        total: Counter = Counter()
        for app in [self.miinto, *self.stores.values()]:
            total.update(app.faults.injected)
        return dict(total)

    def worker_environment(self) -> dict:
        env = dict(os.environ)
        env.update(MIINTO_SIMULATOR_URL=self.miinto_url, STORE_SIMULATOR_URL=self.store_url, DJANGO_ENV="dev",
                   CELERY_TASK_ALWAYS_EAGER="0", PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING",
                   CATALOG_REFRESH_MINUTES="1",  # store-side stock changes reach Miinto within minutes
                   OUTBOX_TIME_SCALE=str(self.args.time_scale), OUTBOX_SWEEP_SECONDS=str(max(5.0, 60.0 * self.args.time_scale)))
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return env

    # --- the merchant ------------------------------------------------------------------------------
    def setup(self) -> None:
        from django.conf import settings

        from catalog.demo import demo_keys_freeze
        from catalog.models import Product, ProductListing
        from catalog.services import catalog_refresh, catalog_settings_update
        from connections import clients, services
        from connections.models import MiintoConnection
        from koongo.accounts.models import Merchant, MerchantApiKey, Plan
        from koongo.accounts.tenancy import merchant_scope
        from miinto.sandbox.demo import DEMO_CATALOG
        from miinto.sandbox.fixtures import providers_for
        from orders.shipments.carrier_mapping import carrier_mapping_set

        settings.MIINTO_SIMULATOR_URL, settings.STORE_SIMULATOR_URL = self.miinto_url, self.store_url
        username, password = f"chaos-{uuid.uuid4().hex[:8]}@example.com", "chaos-pw"
        with self.miinto.lock:
            shops = [{"market": market, "localId": 4101 + index, "name": f"Chaos {market} {index}"} for index, market in enumerate(MARKETS)]
            account = self.miinto.state.add_account(username, password, shops)
            for shop_id in account.shop_ids:
                self.miinto.state.load_catalog(shop_id, DEMO_CATALOG)
        self.merchant = Merchant.objects.create(name="Chaos Fashion ApS", plan=Plan.objects.get(code="enterprise"))
        _, self.api_key = MerchantApiKey.objects.create_key(merchant=self.merchant, name="chaos merchant", role="staff")
        self.by_gtin = {item["gtin"]: item for item in DEMO_CATALOG}
        self.connections: list[MiintoConnection] = []
        with merchant_scope(self.merchant):
            stores = {}
            for code in PLATFORMS:
                credentials = self.stores[code].demo_credentials(base_url=f"{self.store_url}/{code}")
                store = services.store_connection_create(merchant=self.merchant, platform=code, name=f"Chaos {code}", credentials=credentials)
                services.store_connection_test(store_connection=store)
                with clients.store_adapter(store) as adapter:
                    catalog_refresh(store, adapter)
                demo_keys_freeze(store)
                stores[code] = store
            for index, shop_id in enumerate(account.shop_ids):
                level, auto_accept, buffer = MODES[index]
                connection = services.miinto_connection_create(
                    merchant=self.merchant, environment="simulator", username=username, password=password, shop_id=shop_id,
                    store_connection=stores[PLATFORMS[index % 5]], activate=True,
                )
                services.order_configuration_update(configuration=connection.order_configuration, auto_accept=auto_accept, sync_level=level)
                catalog_settings_update(connection=connection, stock_buffer=buffer)
                MiintoConnection.objects.filter(pk=connection.pk).update(sync_interval_minutes=1)
                # The merchant ships with PostNord; Miinto must know which of its providers that is.
                postnord = next((p for p in providers_for(MARKETS[index]) if p.name == "PostNord"), None)
                if postnord:
                    carrier_mapping_set(merchant=self.merchant, connection=connection, carrier="PostNord", provider_id=postnord.id,
                                        provider_name=postnord.name)
                self.connections.append(connection)
            # Prices as exported to each shop in its currency, so the auto-accept rule compares like for like.
            now = timezone_now()
            ProductListing.objects.bulk_create([
                ProductListing(merchant=self.merchant, product=product, connection=connection, in_feed=True,
                               exported_retail_price=Decimal(self.by_gtin[product.gtin]["price"][connection.currency]),
                               exported_discount_price=Decimal(self.by_gtin[product.gtin]["price"][connection.currency]),
                               exported_currency=connection.currency, exported_price_at=now)
                for connection in self.connections
                for product in Product.objects.filter(store_connection=connection.store_connection, gtin__in=list(self.by_gtin))
            ])
        self.skus = sorted({item["sku"] for item in DEMO_CATALOG})
        self.initial_stock = {code: {sku: app.stock_of(sku) for sku in self.skus} for code, app in self.stores.items()}
        self.buffers = {c.shop_id: MODES[i][2] for i, c in enumerate(self.connections)}

    # --- the merchant's API ------------------------------------------------------------------------
    def api(self):
        import httpx
        from django.core.wsgi import get_wsgi_application

        if not hasattr(self, "_api"):
            self._api = httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://127.0.0.1",
                                     headers={"Authorization": f"Api-Key {self.api_key}"}, timeout=60)
        return self._api

    def api_pages(self, path: str, params: dict) -> list[dict]:
        rows, url = [], path
        while url:
            response = self.api().get(url, params=params if url == path else None)
            response.raise_for_status()
            body = response.json()
            rows += body["results"]
            url = body.get("next")
        return rows

    def merchant_decides(self) -> int:
        """The scripted merchant: decide every pending position through the API (mostly accept), answer returns."""
        decided, sold = 0, self.store_sold()
        for position in self.api_pages("/api/v1/positions/", {"status": "pending", "page_size": 200}):
            # A merchant declines what the store does not carry or has no more of; of the rest, most is accepted.
            code, sku = self.store_of_transfer(position["transfer_id"]), position["product_sku"]
            in_stock = sku is not None and self.initial_stock[code][sku] - sold[code][sku] >= position["quantity"]
            outcome = "accept" if position["product"] and in_stock and self.rng.random() < 0.8 else "decline"
            sold[code][sku] += position["quantity"] if outcome == "accept" else 0
            response = self.api().post(f"/api/v1/positions/{position['id']}/{outcome}/", json={"reason": "chaos merchant"},
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
            decided += response.status_code == 200
        for rma in self.api_pages("/api/v1/rmas/", {"status": "pending", "page_size": 200}):
            outcome = "accept" if self.rng.random() < 0.9 else "decline"
            response = self.api().post(f"/api/v1/rmas/{rma['id']}/{outcome}/", json={"reason": "chaos merchant"},
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
            decided += response.status_code == 200
        return decided

    def store_sold(self) -> defaultdict[str, Counter]:
        """What Miinto holds as accepted, per store and SKU: a store's stock has at most its initial stock less this.

        The merchant looks at this rather than the store's live stock, which lags the accepted orders still being pushed
        (a store that floors stock at 0 would otherwise be oversold, which no code of ours could then account for)."""
        sold: defaultdict[str, Counter] = defaultdict(Counter)
        with self.miinto.lock:
            for order in self.miinto.state.orders.values():
                code = self.store_of_shop(order.shop_id)
                for position in order.positions:
                    sold[code][self.by_gtin.get(position.gtin, {}).get("sku")] += position.quantity
        return sold

    def store_of_shop(self, shop_id: str) -> str:
        return PLATFORMS[[c.shop_id for c in self.connections].index(shop_id) % 5]

    def store_of_transfer(self, transfer_id: int) -> str:
        with self.miinto.lock:
            return self.store_of_shop(self.miinto.state.transfers[transfer_id].shop_id)

    # --- load --------------------------------------------------------------------------------------
    def add_transfers(self, count: int) -> None:
        from miinto.sandbox.demo import demo_transfer_lines

        with self.miinto.lock:
            state = self.miinto.state
            for _ in range(count):
                connection = self.rng.choice(self.connections)
                shop = state.shops[connection.shop_id]
                state.create_transfer(shop.id, demo_transfer_lines(self.rng, shop.market.currency))

    def add_returns(self, done: set) -> None:
        """Customer returns on a share of the accepted orders of Orders & Stock connections (once per order).

        An order gets a customer return or a merchant's store refund, never both: together they may ask for more than
        was ordered, which the store or Miinto rightly refuses (a Problem, not a chaos finding)."""
        with self.miinto.lock:
            state = self.miinto.state
            for order in list(state.orders.values()):
                if order.id in done or order.id in self.refunded_in_store or self.mode_of(order.shop_id)[0] != "orders_and_stock":
                    continue
                done.add(order.id)
                if self.rng.random() >= self.args.return_share:
                    continue
                position = self.rng.choice(order.positions)
                state.create_return(state.shops[order.shop_id], order.id, [{"orderPositionId": position.id, "quantity": 1}],
                                    origin="customer", reason="Too small")
                self.returned.add(order.id)

    def store_actions(self, done: set) -> dict:
        """The merchant in the store: ship a share of the store orders, refund a few (through the merchant endpoints)."""
        from django_scopes import scopes_disabled

        from orders.models import Order

        made = {"shipments": [], "store_refunds": []}
        with scopes_disabled():
            orders = list(Order.objects.filter(merchant=self.merchant).exclude(store_order_id="").exclude(pk__in=done)
                          .select_related("connection__store_connection"))
        for order in orders:
            done.add(order.pk)
            code = order.connection.store_connection.platform
            roll = self.rng.random()
            if roll < self.args.shipment_share:
                lines = self.store_lines(code, order.store_order_id)
                if not lines:
                    continue
                tracking = f"TT{order.miinto_id}"
                response = self.control.post(f"{self.store_url}/{code}/_sandbox/shipments", json={
                    "order_id": order.store_order_id, "lines": lines, "carrier": "PostNord", "tracking_number": tracking})
                if response.status_code == 201:
                    made["shipments"].append((order.connection.shop_id, order.miinto_id, tracking))
                    self.store_acted_at[order.connection_id] = timezone_now()
            elif roll < self.args.shipment_share + self.args.store_refund_share and order.miinto_id not in self.returned:
                self.refunded_in_store.add(order.miinto_id)
                lines = self.store_lines(code, order.store_order_id)[:1]
                if not lines:
                    continue
                response = self.control.post(f"{self.store_url}/{code}/_sandbox/refunds", json={
                    "order_id": order.store_order_id, "lines": [{**lines[0], "quantity": 1}], "note": "merchant refund"})
                if response.status_code == 201:
                    made["store_refunds"].append((order.connection.shop_id, order.miinto_id, code, order.store_order_id))
                    self.store_acted_at[order.connection_id] = timezone_now()
                    if code in STORE_REFUNDS_RESTOCK:
                        self.merchant_restocked[code][lines[0]["sku"]] += 1
        return made

    def store_lines(self, code: str, store_order_id: str) -> list[dict]:
        app = self.stores[code]
        with app.lock:
            found = [o for o in app.orders_summary() if str(o["id"]) == str(store_order_id)]
        return [{"sku": line["sku"], "quantity": line["quantity"]} for line in found[0]["lines"]] if found else []

    def mode_of(self, shop_id: str) -> tuple:
        return MODES[[c.shop_id for c in self.connections].index(shop_id)]

    # --- settling ----------------------------------------------------------------------------------
    def unread_store_actions(self) -> int:
        """Connections whose store the merchant changed after their last successful shipments or refunds run began."""
        from connections.models import SyncRun

        unread = 0
        for connection_id, acted_at in self.store_acted_at.items():
            runs = SyncRun.objects.filter(connection_id=connection_id, flow__in=STORE_READS)
            runs_here = set(runs.values_list("flow", flat=True).distinct())  # a connection without refund sync has no refunds runs
            read = set(runs.filter(status__in=SUCCESS, started_at__gt=acted_at).values_list("flow", flat=True).distinct())
            unread += read != runs_here
        return unread

    def backlog(self) -> dict:
        """What is still in play: unread transfers, pending positions and returns, outbox rows, active runs, and store
        changes the merchant made that no run has read yet."""
        from django_scopes import scopes_disabled

        from connections.models import OutboxState, SyncRun
        from connections.sync.outbox import outbox_kinds
        from orders.models import Position
        from rma.models import Rma

        with scopes_disabled():
            with self.miinto.lock:
                miinto_positions = sum(len(t.positions) for t in self.miinto.state.transfers.values())
                miinto_returns = sum(1 for r in self.miinto.state.returns.values() if r.status == "pending")
            outbox = sum(kind.model.objects.filter(state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED]).count()
                         for kind in outbox_kinds().values())
            return {
                "unread_positions": miinto_positions - Position.objects.count(),
                "pending_positions": Position.objects.filter(status="pending").count(),
                "pending_returns": miinto_returns,
                "pending_rmas": Rma.objects.filter(status="pending").count(),
                "outbox": outbox,
                "active_runs": SyncRun.objects.filter(status__in=["queued", "running"]).count(),
                "unread_store_actions": self.unread_store_actions(),
            }


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def drive(world: World, fleet, redis, args, *, drop_pg) -> dict:
    """Load in waves with the fault schedule, settle, then check every invariant; returns the report."""
    from django.db import close_old_connections
    from django.db import connection as db

    started = time.monotonic()
    rng = random.Random(args.seed + 1)
    load_s = args.waves * args.wave_seconds
    events = [(rng.uniform(0.15, 0.9) * load_s, "kill") for _ in range(args.kills)]
    events += [(rng.uniform(0.3, 0.7) * load_s, "redis") for _ in range(args.redis_restarts)]
    events += [(rng.uniform(0.2, 0.8) * load_s, "pg") for _ in range(args.pg_drops)]
    events.sort()
    kills: list[dict] = []
    chaos = {"worker_kills": 0, "redis_restarts": 0, "pg_backends_terminated": 0}
    world.faults_on(args.faults)
    per_wave = [args.transfers // args.waves + (1 if i < args.transfers % args.waves else 0) for i in range(args.waves)]
    returns_done, store_done = set(), set()
    made = {"shipments": [], "store_refunds": []}
    wave, next_wave, last_merchant = 0, 0.0, 0.0

    def step() -> None:
        nonlocal last_merchant
        now = time.monotonic() - started
        if now - last_merchant >= 5:
            last_merchant = now
            try:
                close_old_connections()
                world.merchant_decides()
                world.add_returns(returns_done)
                for key, rows in world.store_actions(store_done).items():
                    made[key] += rows
            except Exception as error:  # the PostgreSQL drop can hit the driver too; the next step goes on
                print(f"chaos: merchant step failed: {error!r}", file=sys.stderr)
                db.close()

    while wave < args.waves or events:
        now = time.monotonic() - started
        if wave < args.waves and now >= next_wave:
            world.add_transfers(per_wave[wave])
            wave, next_wave = wave + 1, next_wave + args.wave_seconds
        if events and now >= events[0][0]:
            _, what = events.pop(0)
            if what == "kill":
                kills.append(kill_busy_worker(world, fleet, rng))
                chaos["worker_kills"] += 1
            elif what == "redis":
                redis.kill()
                redis.start()
                chaos["redis_restarts"] += 1
            else:
                chaos["pg_backends_terminated"] += drop_pg()
                db.close()
        step()
        time.sleep(1)
    # Settle: faults stay on; the system must finish everything by itself (the merchant still answers what waits).
    settle_started = time.monotonic()
    quiet = 0
    backlog = {}
    while time.monotonic() - settle_started < args.quiet_timeout:
        step()
        close_old_connections()
        backlog = world.backlog()
        stock = check_stock(world)
        stock_ok = not stock["violated"]
        quiet = quiet + 1 if not any(backlog.values()) and stock_ok else 0
        if os.environ.get("CHAOS_DEBUG"):
            unequal = f" ({stock['violated']} unequal, e.g. {stock['examples'][0]})" if not stock_ok else ""
            print(f"chaos: settling {time.monotonic() - settle_started:.0f}s {backlog} stock_ok={stock_ok}{unequal}", file=sys.stderr)
        if quiet >= 3:
            break
        time.sleep(5)
    settle_s = time.monotonic() - settle_started
    invariants = check_all(world, made)
    stall = max_stall(kills)
    invariants["max_stall_after_kill"] = {"checked": len(kills), "violated": int(stall is not None and stall > STALL_LIMIT_S)}
    violations = sum(v["violated"] for v in invariants.values())
    return {
        "transfers": args.transfers,
        "seed": args.seed,
        "workers": args.workers,
        "violations": violations,
        "invariants": invariants,
        "store_items_missing_from_catalog": missing_from_catalog(world),
        "faults_injected": world.faults_injected(),
        "chaos": chaos,
        "kills": [{k: v for k, v in kill.items() if k != "runs"} for kill in kills],
        "max_stall_after_kill_s": stall,
        "settled": quiet >= 3,
        "backlog_at_end": backlog,
        "load_s": round(load_s, 1),
        "settle_s": round(settle_s, 1),
        "run_time_s": round(time.monotonic() - started, 1),
    }



def kill_busy_worker(world: World, fleet, rng: random.Random) -> dict:
    """kill -9 a worker while runs are in flight (waits up to 60 s for one), then start a replacement."""
    from django.db import close_old_connections
    from django_scopes import scopes_disabled

    from connections.models import SyncRun

    close_old_connections()
    for _ in range(300):
        with scopes_disabled():
            running = list(SyncRun.objects.filter(status="running").values("pk", "connection_id", "flow"))
        if running:
            break
        time.sleep(0.2)
    at = timezone_now()
    fleet.kill_worker(rng)
    fleet.start_worker()
    return {"at": at.isoformat(), "running_runs": len(running), "runs": running, "_at": at}


def max_stall(kills: list[dict]) -> float | None:
    """Worst, over the kills, of kill time → the next successful run of each flow a killed run held.

    Only the runs the kill took count (ended as lost); a run of the surviving worker that failed on an injected fault
    was not stalled by the kill."""
    from django_scopes import scopes_disabled

    from connections.models import SyncRun
    from connections.sync.runs import LOST_WORKER

    worst = 0.0 if kills else None
    with scopes_disabled():
        for kill in kills:
            at = kill["_at"]
            stalls = []
            for held in kill["runs"]:
                run = SyncRun.objects.get(pk=held["pk"])
                if run.error_summary != LOST_WORKER:
                    continue  # it ran on the surviving worker
                following = SyncRun.objects.filter(connection_id=held["connection_id"], flow=held["flow"], status__in=SUCCESS,
                                                   started_at__gt=at).order_by("started_at").first()
                stall = (following.started_at - at).total_seconds() if following else float("inf")
                stalls.append((stall, f"{held['flow']} of connection {held['connection_id']}"))
            worst_here = max(stalls) if stalls else (0.0, None)
            kill["stall_s"], kill["stalled"] = round(worst_here[0], 1), worst_here[1]  # which flow took longest to come back
            kill.pop("_at")
            worst = max(worst, kill["stall_s"])
    return worst


# --- invariants ----------------------------------------------------------------------------------


def surfaced(world: World, model, *path: str) -> set:
    """What the rows of `model` that failed for good and have an open Problem point at (by `path` values): a permanent
    failure in the errors inbox is accounted for, not silently dropped, so the invariants do not count it twice."""
    from connections.models import Problem

    label = model._meta.label_lower
    open_ids = set(Problem.objects.filter(merchant=world.merchant, state="open", subject_type=label).values_list("subject_id", flat=True))
    rows = model.objects.filter(merchant=world.merchant, state="dead").values_list("pk", *path)
    return {tuple(row[1:]) for row in rows if str(row[0]) in open_ids}


def handed_to_merchant(world: World) -> set:
    """(shop id, Miinto order id) of orders whose store push failed for good, to which Miinto added positions after the
    push had started (LATE_POSITIONS), or whose stock write went unconfirmed (AMBIGUOUS_STOCK: a non-idempotent write
    is never sent twice): each has an open Problem naming what to check or do in the store."""
    from connections.models import Problem
    from orders.models import Order, StorePush
    from orders.pushes import AMBIGUOUS_STOCK, LATE_POSITIONS

    handed = Problem.objects.filter(merchant=world.merchant, state="open", kind__in=[LATE_POSITIONS, AMBIGUOUS_STOCK], subject_type="order")
    ids = [int(pk) for pk in handed.values_list("subject_id", flat=True)]
    orders = Order.objects.filter(merchant=world.merchant, pk__in=ids).values_list("connection__shop_id", "miinto_id")
    return surfaced(world, StorePush, "connection__shop_id", "order__miinto_id") | set(orders)


def restocks_handed_to_merchant(world: World) -> set:
    """(platform, SKU) of refund restocks whose write went unconfirmed: an open AMBIGUOUS_STOCK Problem on the RMA asks
    the merchant to check that item's stock, as for an order's stock write (`handed_to_merchant`)."""
    from connections.models import Problem
    from orders.pushes import AMBIGUOUS_STOCK
    from rma.models import RmaLine
    from rma.problems import SUBJECT_RMA

    handed = Problem.objects.filter(merchant=world.merchant, state="open", kind=AMBIGUOUS_STOCK, subject_type=SUBJECT_RMA)
    ids = [int(pk) for pk in handed.values_list("subject_id", flat=True)]
    lines = RmaLine.objects.filter(rma_id__in=ids, order_line__isnull=False)
    return set(lines.values_list("rma__connection__store_connection__platform", "order_line__sku"))


def _examples(examples: list) -> dict:
    """The first few violations, so a failed run says what went wrong."""
    return {"examples": examples[:5]} if examples else {}


def check_all(world: World, made: dict) -> dict:
    from django_scopes import scopes_disabled

    with scopes_disabled(), world.miinto.lock:
        return {
            "decided_once_and_equal": check_decisions(world),
            "store_order_once": check_store_orders(world),
            "store_stock_lowered_once": check_store_stock(world),
            "returns_refunded_once": check_refunds(world),
            "shipments_reached_miinto_once": check_shipments(world, made["shipments"]),
            "miinto_stock_equals_store_minus_buffer": check_stock(world),
            "permanent_failures_are_open_problems": check_problems(world),
        }


def check_decisions(world: World) -> dict:
    """Every position decided exactly once on Miinto, and our decision equals Miinto's."""
    from orders.models import Position

    state = world.miinto.state
    named = Counter(pid for d in state.effects["decisions"] if d["source"] != "miinto" for pid in d["accepted"] + d["declined"])
    ours = {(p["connection__shop_id"], p["miinto_id"]): p["status"] for p in
            Position.objects.filter(merchant=world.merchant).values("connection__shop_id", "miinto_id", "status")}
    from orders.models import DecisionPush

    dead = surfaced(world, DecisionPush, "connection__shop_id", "transfer__miinto_id")
    checked = violated = accounted = 0
    examples = []
    for transfer in state.transfers.values():
        for position in transfer.positions:
            checked += 1
            if position.status == "pending" and named[position.id] == 0 and (transfer.shop_id, transfer.id) in dead:
                accounted += 1
                continue
            if position.status == "pending" or named[position.id] != 1 or ours.get((transfer.shop_id, position.id)) != position.status:
                violated += 1
                examples.append({"shop": transfer.shop_id, "transfer": transfer.id, "position": position.id, "miinto": position.status,
                                 "ours": ours.get((transfer.shop_id, position.id)), "decision_calls": named[position.id]})
    return {"checked": checked, "violated": violated, "open_problem": accounted, **_examples(examples)}


def _accepted_by_order(world: World) -> dict:
    return {o.id: o for o in world.miinto.state.orders.values()}


def check_store_orders(world: World) -> dict:
    """Every accepted order of an Orders & Stock connection exists exactly once in its store, with its lines."""

    dead = handed_to_merchant(world)
    checked = violated = accounted = 0
    examples = []
    store_orders = {code: app.orders_summary() for code, app in world.stores.items()}
    for order in _accepted_by_order(world).values():
        level = world.mode_of(order.shop_id)[0]
        if level != "orders_and_stock":
            continue
        checked += 1
        code = world.store_of_shop(order.shop_id)
        reference = f"miinto-{order.shop_id}-{order.id}"
        found = [o for o in store_orders[code] if reference in (o.get("reference") or "") or reference in (o.get("note") or "")]
        if len(found) > 1:
            violated += 1
            examples.append({"store": code, "reference": reference, "found": len(found)})
            continue
        wanted = Counter()
        for position in order.positions:
            wanted[world.by_gtin.get(position.gtin, {}).get("sku")] += position.quantity
        got = Counter()
        for line in (found[0]["lines"] if found else []):
            got[line["sku"]] += int(line["quantity"])
        if wanted != got and (order.shop_id, order.id) in dead:
            accounted += 1  # missing or short, with an open Problem saying so
            continue
        if not found:
            violated += 1
            examples.append({"store": code, "reference": reference, "found": 0})
            continue
        if wanted != got:
            violated += 1
            examples.append({"store": code, "reference": reference, "wanted": dict(wanted), "got": dict(got)})
    return {"checked": checked, "violated": violated, "open_problem": accounted, **_examples(examples)}


# Stores whose merchant-made refund (the simulators' `make_refund`) returns the items to stock: Shopify's admin refund
# restocks as a return; BigCommerce's and Magento's do not, PrestaShop's records refunded quantities only, and
# Shopware's backend records no lines at all.
STORE_REFUNDS_RESTOCK = {"shopify"}


def check_store_stock(world: World) -> dict:
    """Every accepted position lowered its store's stock exactly once (Stock only and Orders & Stock alike), and every
    refund we pushed with restock put it back once: store stock = initial − accepted + restocked, per item."""
    from connections.models import SyncLevel
    from platforms.capabilities import Capability
    from platforms.registry import adapter_class
    from rma.models import RefundPush

    dead = handed_to_merchant(world)
    lowered, unsure = defaultdict(Counter), defaultdict(set)
    for order in _accepted_by_order(world).values():
        code = world.store_of_shop(order.shop_id)
        if world.mode_of(order.shop_id)[0] != SyncLevel.STOCK_ONLY and Capability.ORDER_CLAIMS_STOCK not in adapter_class(code).capabilities:
            # A store order that claims no stock (Magento's POST /V1/orders places no MSI reservation): the store's
            # sellable stock stays as it was, which the connection page tells the merchant.
            continue
        if (order.shop_id, order.id) in dead:
            # Handed to the merchant (an open Problem): whether a part of it reached the store is for them to see.
            unsure[code] |= {world.by_gtin.get(p.gtin, {}).get("sku") for p in order.positions}
            continue
        for position in order.positions:
            lowered[code][world.by_gtin.get(position.gtin, {}).get("sku")] += position.quantity
    restocked, examples = defaultdict(Counter), []
    for code, skus in world.merchant_restocked.items():
        restocked[code].update(skus)
    for push in RefundPush.objects.filter(merchant=world.merchant, state="done", restock=True).select_related("rma", "connection__store_connection"):
        code = push.connection.store_connection.platform
        for line in push.rma.lines.select_related("order_line"):
            if line.order_line:
                restocked[code][line.order_line.sku] += line.quantity
    for code, sku in restocks_handed_to_merchant(world):
        unsure[code].add(sku)
    checked = violated = 0
    accounted = sum(len(skus & set(world.skus)) for skus in unsure.values())
    for code, app in world.stores.items():
        for sku in world.skus:
            if sku in unsure[code]:
                continue
            checked += 1
            expected = world.initial_stock[code][sku] - lowered[code][sku] + restocked[code][sku]
            if app.stock_of(sku) != expected:
                violated += 1
                examples.append({"store": code, "sku": sku, "initial": world.initial_stock[code][sku], "accepted": lowered[code][sku],
                                 "restocked": restocked[code][sku], "now": app.stock_of(sku)})
    return {"checked": checked, "violated": violated, "open_problem": accounted, **_examples(examples)}


def check_refunds(world: World) -> dict:
    """Every accepted customer return refunded exactly once in the store with its lines; none of our refunds came back
    as an RMA request; no order refunded more than it holds."""
    from orders.models import Order

    state = world.miinto.state
    checked = violated = 0
    examples = []
    ours = {(o.connection.shop_id, o.miinto_id): o for o in Order.objects.filter(merchant=world.merchant).select_related("connection__store_connection")}
    from rma.models import RefundPush

    dead = surfaced(world, RefundPush, "rma__miinto_id")
    accounted = 0
    requests = Counter(r["orderId"] for r in state.effects["rmaRequests"]) if state.effects["rmaRequests"] and "orderId" in state.effects["rmaRequests"][0] else Counter()
    for found in state.returns.values():
        if found.origin != "customer" or found.status != "accepted":
            continue
        checked += 1
        if (found.id,) in dead:
            accounted += 1
            continue
        order = ours.get((found.shop_id, found.order_id))
        if order is None or not order.store_order_id:
            violated += 1
            examples.append({"return": found.id, "order": found.order_id, "store_order": getattr(order, "store_order_id", None)})
            continue
        app = world.stores[order.connection.store_connection.platform]
        refunds = app.refunds_summary(order.store_order_id)
        miinto_order = state.orders[found.order_id]
        by_position = {p.id: world.by_gtin.get(p.gtin, {}).get("sku") for p in miinto_order.positions}
        wanted = Counter({by_position[rp.order_position_id]: rp.quantity for rp in found.positions})
        matching = [r for r in refunds if Counter({line["sku"]: int(line["quantity"]) for line in r.get("lines", [])}) == wanted]
        refunded = Counter()
        for refund in refunds:
            for line in refund.get("lines", []):
                refunded[line["sku"]] += int(line["quantity"])
        ordered = Counter()
        for position in miinto_order.positions:
            ordered[by_position[position.id]] += position.quantity
        over = any(refunded[sku] > ordered[sku] for sku in refunded)
        if len(matching) < 1 or over or requests[found.order_id] > 0:
            violated += 1
            examples.append({"return": found.id, "order": found.order_id, "wanted": dict(wanted), "refunds": len(refunds),
                             "matching": len(matching), "over": over, "rma_requests": requests[found.order_id]})
    return {"checked": checked, "violated": violated, "open_problem": accounted, **_examples(examples)}


def check_shipments(world: World, shipments: list) -> dict:
    """Every shipment the merchant made in a store reached Miinto exactly once."""
    created = Counter((s["shopId"], s["orderId"], s["trackAndTrace"]) for s in world.miinto.state.effects["shipments"] if s["created"])
    wrong = [{"shipment": list(shipment), "created": created[shipment]} for shipment in shipments if created[shipment] != 1]
    return {"checked": len(shipments), "violated": len(wrong), **_examples(wrong)}


def check_stock(world: World) -> dict:
    """Stock on Miinto equals store stock minus the connection's buffer, for every item of every shop."""
    checked = violated = 0
    examples = []
    from django_scopes import scopes_disabled

    from catalog.models import Product

    with scopes_disabled():
        held = set(Product.objects.filter(merchant=world.merchant).values_list("store_connection__platform", "gtin"))
    with world.miinto.lock:
        for index, connection in enumerate(world.connections):
            app = world.stores[PLATFORMS[index % 5]]
            shop = world.miinto.state.shops[connection.shop_id]
            buffer = world.buffers[connection.shop_id]
            for item in shop.catalog.values():
                if (PLATFORMS[index % 5], item.gtin) not in held:
                    continue  # not in our catalog at all: see store_items_missing_from_catalog
                checked += 1
                with app.lock:
                    expected = max(0, app.stock_of(world.by_gtin[item.gtin]["sku"]) - buffer)
                if shop.stock.get(item.key) != expected:
                    violated += 1
                    examples.append({"shop": shop.id, "store": PLATFORMS[index % 5], "sku": world.by_gtin[item.gtin]["sku"],
                                     "miinto": shop.stock.get(item.key), "expected": expected})
    return {"checked": checked, "violated": violated, **_examples(examples)}


def missing_from_catalog(world: World) -> list:
    """Store items our catalog never imported (so no stock of theirs reaches Miinto): a catalog finding, not chaos."""
    from django_scopes import scopes_disabled

    from catalog.models import Product

    with scopes_disabled():
        held = set(Product.objects.filter(merchant=world.merchant).values_list("store_connection__platform", "sku"))
    return sorted(f"{code}:{sku}" for code in world.stores for sku in world.skus if (code, sku) not in held)


def check_problems(world: World) -> dict:
    """Every outbox row that failed for good has an open Problem; nothing is left half-done."""
    from connections.models import Problem
    from connections.sync.outbox import outbox_kinds

    checked, examples = 0, []
    open_subjects = set(Problem.objects.filter(merchant=world.merchant, state="open").values_list("subject_type", "subject_id"))
    for kind in outbox_kinds().values():
        for pk in kind.model.objects.filter(state="dead").values_list("pk", flat=True):
            checked += 1
            if (kind.label, str(pk)) not in open_subjects:
                examples.append({"kind": kind.label, "pk": pk, "state": "dead", "problem": None})
        for pk, state in kind.model.objects.filter(state__in=["pending", "in_flight", "failed"]).values_list("pk", "state"):
            examples.append({"kind": kind.label, "pk": pk, "state": state})
    return {"checked": checked, "violated": len(examples), **_examples(examples)}
