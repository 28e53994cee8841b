"""Benchmark the read paths at scale: N orders over M merchants on PostgreSQL, read through gunicorn with production settings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/data_scale.py --merchants 1000 --orders 1000000

The database in DATABASE_URL is dropped and created again (its name must contain "bench"). Merchant sizes are skewed: one
merchant has 10% of the orders, the median one a few hundred. Every order carries its transfer, positions, decisions,
pushes, a shipment with its label, about 8 communications-log entries with realistic bodies; 5% have an RMA and 1% an open
problem. Rows go in with COPY. The API lists, the API order detail and the dashboard pages are then timed for the largest
and for a median merchant: p50/p99 at 1 client, and requests per second at 8 clients on the order list. `--growth` repeats
the measurements at 1% of the size and reports `growth_ratio` (worst full-size p99 over that path's p99 at 1%).
Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET_KEY = "bench-data-scale-secret-key-not-for-production-use-0123456789"
FERNET_KEY = "q0Qm2Rg6xXl2m3bS6yYFh0lJrQ1z7Yc3k0p9T4pVb6E="  # a fixed Fernet key: the bench's own data only
PASSWORD = "bench-password-1"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 730  # two years of orders
URLS = {op: f"https://api.miinto.example/{op.replace('.', '/')}" for op in (
    "transfers.read", "positions.decide", "orders.read", "store.order_create", "store.order_read", "labels.fetch",
    "store.fulfillments", "shipments.send")}  # fmt: skip
REASONS_DECLINE = ("out_of_stock", "price_below_threshold", "product_not_found")


# --- environment ---------------------------------------------------------------------------------------------------


def server_env(data_dir: str) -> dict:
    """The production settings, as a deployer sets them; the bench process and gunicorn share them."""
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="prod", DJANGO_SETTINGS_MODULE="koongo.settings", SECRET_KEY=SECRET_KEY, FIELD_ENCRYPTION_KEYS=FERNET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost", DATA_DIR=data_dir, LOG_LEVEL=env.get("LOG_LEVEL", "WARNING"),
    )  # fmt: skip
    env.setdefault("CONN_MAX_AGE", "60")
    # Plain HTTP on loopback: a deployment terminates TLS in front of gunicorn, so production's HTTPS redirect is off here.
    env.setdefault("SECURE_SSL_REDIRECT", "false")
    return env


def reset_database(url: str) -> None:
    """Drop and create the benchmark's database: every run starts from the same empty schema."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: point DATABASE_URL at a database whose name contains 'bench'")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Progress:
    """A one-line progress bar on stderr (the JSON result alone goes to stdout)."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.done, self.started, self.shown = max(total, 1), label, 0, time.perf_counter(), -1

    def add(self, n: int) -> None:
        self.done += n
        percent = int(100 * self.done / self.total)
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            rate = self.done / max(time.perf_counter() - self.started, 1e-6)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {percent:3d}% {self.done:,}/{self.total:,} ({rate:,.0f}/s)")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


# --- the data set ----------------------------------------------------------------------------------------------------


def merchant_sizes(merchants: int, orders: int, rng: random.Random) -> list[int]:
    """Orders per merchant: the first has 10%, the rest follow a log-normal curve whose median is a few hundred at 1M/1,000."""
    if merchants == 1:
        return [orders]
    largest = orders // 10
    weights = sorted((rng.lognormvariate(0, 1.5) for _ in range(merchants - 1)), reverse=True)
    scale = (orders - largest) / sum(weights)
    sizes = [largest] + [max(1, int(w * scale)) for w in weights]
    sizes[1] += orders - sum(sizes)  # rounding goes to the second largest
    return sizes


class Copier:
    """COPY rows of one model: the columns come from the model, missing values from the field defaults."""

    def __init__(self, cursor, model, given: tuple[str, ...]):
        from django.db import models

        self.cursor, self.given = cursor, given
        fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in fields]
        self.json = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
        index = {name: i for i, name in enumerate(self.columns)}
        self.positions = [index[name] for name in given]
        self.template = [self._default(f) for f in fields]
        self.table = model._meta.db_table
        self.count = 0

    @staticmethod
    def _default(field):
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = ""
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        return value

    def __enter__(self):
        columns = ", ".join(f'"{c}"' for c in self.columns)
        self._copy = self.cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN')
        self.copy = self._copy.__enter__()
        return self

    def row(self, *values) -> None:
        row = list(self.template)
        for position, value in zip(self.positions, values, strict=True):
            row[position] = json.dumps(value) if position in self.json and not isinstance(value, str) else value
        self.copy.write_row(row)
        self.count += 1

    def __exit__(self, *exc):
        return self._copy.__exit__(*exc)


_BODIES: dict[tuple[str, int], str] = {}


def activity_body_json(kind: str, n: int, order_id: int, rng: random.Random) -> str:
    """A body as JSON text; 97 variants per kind are built once (PostgreSQL compresses each value on its own)."""
    key = (kind, n % 97)
    if key not in _BODIES:
        _BODIES[key] = json.dumps(activity_body(kind, n, order_id, rng))
    return _BODIES[key]


def activity_body(kind: str, n: int, order_id: int, rng: random.Random) -> dict:
    """A redacted payload excerpt of the size the Miinto and store calls log (0.5 to 2 KB)."""
    line = {
        "id": 7_000_000 + n, "status": "accepted", "quantity": 1, "price": {"amount": 49995, "currency": "DKK"},
        "item": {"gtin": f"57{n:011d}", "sku": f"SKU-{n % 9973}", "title": "Organic cotton tee, washed blue", "size": "M",
                 "brand": "Nordic Threads", "images": [f"https://cdn.example.com/p/{n % 9973}.jpg"]},
    }  # fmt: skip
    if kind == "transfer":
        return {"id": n, "createdAt": "2026-01-01T10:00:00Z", "positions": [line] * rng.randint(1, 3), "shop": {"market": "DK"}}
    if kind == "order":
        return {
            "id": order_id, "customer": {"name": "[redacted]", "email": "[redacted]"}, "lines": [line],
            "shipping": {"provider": "gls", "method": "Home delivery", "address": {"city": "Copenhagen", "zip": "2100", "country": "DK"}},
        }  # fmt: skip
    return {"ok": True, "id": order_id, "tracking": f"00{n:012d}", "carrier": "GLS", "note": "x" * rng.randint(100, 400)}


def seed(merchants: int, orders: int, seed_value: int = 7) -> dict:
    """Write the data set; returns the largest and a median merchant's ids and the seeding time."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection as db
    from django_scopes import scopes_disabled

    from connections.models import (
        ConnectionStatus,
        MiintoConnection,
        OrderConfiguration,
        StoreConnection,
        SyncRun,
    )  # fmt: skip
    from koongo.accounts.models import Membership, Merchant, MerchantApiKey, Plan, Role

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(seed_value)
    sizes = merchant_sizes(merchants, orders, rng)
    plan = Plan.objects.get(code="enterprise")
    with scopes_disabled():
        merchant_rows = Merchant.objects.bulk_create(
            [Merchant(name=f"Merchant {i:04d}", plan=plan, timezone="Europe/Copenhagen") for i in range(merchants)]
        )
        stores = StoreConnection.objects.bulk_create(
            [StoreConnection(merchant=m, platform="shopify", name="Store", credentials={}, currency="DKK") for m in merchant_rows]
        )
        connections = MiintoConnection.objects.bulk_create(
            [
                MiintoConnection(
                    merchant=m, environment="simulator", username="bench", password="bench", shop_id=f"1-m!i!s-045-{i}",
                    market="DK", shop_name=f"Shop {i}", currency="DKK", store_connection=s, status=ConnectionStatus.ACTIVE,
                )  # fmt: skip
                for i, (m, s) in enumerate(zip(merchant_rows, stores, strict=True))
            ]
        )
        OrderConfiguration.objects.bulk_create([OrderConfiguration(merchant=c.merchant, connection=c) for c in connections])
        runs = SyncRun.objects.bulk_create(
            [SyncRun(merchant=c.merchant, connection=c, flow="orders", trigger="schedule", status="succeeded") for c in connections]
        )

    # Each order's merchant is drawn by size, so a merchant's rows are spread over the id space as in a live system.
    owners = [i for i, size in enumerate(sizes) for _ in range(size)]
    rng.shuffle(owners)
    load_orders(merchant_rows, connections, runs, owners, rng, Progress(orders, "seeding orders"))
    with db.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does soon after a bulk load
    seed_s = time.perf_counter() - started

    by_size = sorted(range(merchants), key=lambda i: -sizes[i])
    targets = {"largest": by_size[0], "median": by_size[len(by_size) // 2]}
    User = get_user_model()
    credentials = {}
    with scopes_disabled():
        for label, index in targets.items():
            merchant = merchant_rows[index]
            user = User.objects.create_user(username=f"bench-{label}", password=PASSWORD)
            Membership.objects.create(user=user, merchant=merchant, role=Role.OWNER)
            _, key = MerchantApiKey.objects.create_key(name=f"bench {label}", merchant=merchant, role="viewer")
            credentials[label] = {"merchant": merchant.pk, "orders": sizes[index], "username": user.username, "api_key": key}
    return {"seed_s": round(seed_s, 1), "targets": credentials}


def load_orders(merchant_rows, connections, runs, owners, rng, progress=None) -> dict:
    """COPY one order per entry of `owners` (an index into the merchant, connection and run lists) with all its rows.

    Ids are given here (so rows can point at each other) and the sequences are moved past them afterwards; the tables
    must hold no rows of these kinds yet. Returns how many rows went into each table. The plan test uses it too.
    """
    from django.db import connection as db

    from connections.models import ActivityEntry, Problem
    from orders.models import (
        Decision,
        DecisionPush,
        Label,
        LabelFetch,
        Order,
        OrderLine,
        Position,
        Shipment,
        ShipmentPush,
        StorePush,
        Transfer,
    )  # fmt: skip
    from rma.models import Rma, RmaLine

    orders = len(owners)
    step = timedelta(days=HISTORY_DAYS) / max(orders, 1)
    ids = {"position": 0, "activity": 0, "rma": 0, "problem": 0}
    counts = {}
    with db.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg 3 cursor, for COPY
        tables = dict(
            transfer=(Transfer, ("id", "merchant_id", "connection_id", "miinto_id", "created_at_miinto", "first_seen_at",
                                 "last_seen_pending_at", "closed_at", "new_order_id", "raw")),
            position=(Position, ("id", "merchant_id", "connection_id", "transfer_id", "miinto_id", "quantity", "unit_price",
                                 "currency", "gtin", "item", "status")),
            decision=(Decision, ("id", "merchant_id", "position_id", "outcome", "reason", "decided_by", "inputs", "created_at",
                                 "sent_at")),
            decision_push=(DecisionPush, ("id", "merchant_id", "connection_id", "transfer_id", "state", "idempotency_key",
                                          "attempts", "created_at", "updated_at", "done_at")),
            order=(Order, ("id", "merchant_id", "connection_id", "transfer_id", "miinto_id", "parent_order_id", "currency",
                           "created_at_miinto", "status", "customer_name", "customer_email", "billing_address",
                           "shipping_address", "delivery_address", "store_order_id", "raw", "created_at")),
            line=(OrderLine, ("id", "merchant_id", "order_id", "position_id", "miinto_position_id", "sku", "gtin", "title",
                              "quantity", "unit_price")),
            store_push=(StorePush, ("id", "merchant_id", "connection_id", "order_id", "kind", "state", "idempotency_key",
                                    "attempts", "created_at", "updated_at", "done_at")),
            shipment=(Shipment, ("id", "merchant_id", "connection_id", "order_id", "source", "store_shipment_id", "carrier",
                                 "tracking_number", "provider_id", "status", "created_at", "sent_at")),
            shipment_push=(ShipmentPush, ("id", "merchant_id", "connection_id", "shipment_id", "state", "idempotency_key",
                                          "created_at", "updated_at", "done_at")),
            label_fetch=(LabelFetch, ("id", "merchant_id", "connection_id", "order_id", "state", "attempts", "created_at",
                                      "fetched_at")),
            label=(Label, ("id", "merchant_id", "connection_id", "order_id", "file", "size", "sha256", "fetched_at")),
            activity=(ActivityEntry, ("id", "merchant_id", "connection_id", "run_id", "subject_type", "subject_id", "direction",
                                      "operation", "ok", "http_status", "duration_ms", "method", "url", "payload",
                                      "created_at")),
            rma=(Rma, ("id", "merchant_id", "connection_id", "order_id", "miinto_id", "miinto_order_id", "origin", "status",
                       "currency", "amount", "created_at_miinto", "first_seen_at", "raw")),
            rma_line=(RmaLine, ("id", "merchant_id", "rma_id", "order_line_id", "miinto_id", "miinto_position_id", "quantity",
                                "unit_price", "amount")),
            problem=(Problem, ("id", "merchant_id", "kind", "connection_id", "message", "subject_type", "subject_id",
                               "fingerprint", "state", "created_at", "updated_at")),
        )  # fmt: skip
        # One COPY per table at a time: the rows of one batch of orders are buffered per table, then copied in order.
        batch = 20_000
        for start in range(0, orders, batch):
            buffers = {name: [] for name in tables}
            for n in range(start, min(start + batch, orders)):
                _order_rows(n, owners[n], merchant_rows, connections, runs, NOW - step * (orders - n), rng, ids, buffers)
            for name, (model, given) in tables.items():
                if buffers[name]:
                    with Copier(cursor, model, given) as copier:
                        for row in buffers[name]:
                            copier.row(*row[: len(given)])
                    counts[name] = counts.get(name, 0) + len(buffers[name])
            if progress:
                progress.add(min(batch, orders - start))
        if progress:
            progress.close()
        for model, _ in tables.values():
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1)) FROM \"{table}\"")
    return counts


def _order_rows(n, owner, merchants, connections, runs, created, rng, ids, out) -> None:
    """The rows of one order, appended to the per-table buffers."""
    merchant, connection, run = merchants[owner].pk, connections[owner].pk, runs[owner].pk
    pk = n + 1
    miinto_id = 10_000_000 + n
    out["transfer"].append((pk, merchant, connection, miinto_id, created, created, created, created + timedelta(minutes=5),
                            miinto_id, {"id": miinto_id, "shop": "DK"}))  # fmt: skip
    lines = 1 + (n % 3 == 0) + (n % 7 == 0)
    declined_one = n % 10 == 0 and lines > 1
    status = "shipped" if created < NOW - timedelta(days=7) else rng.choice(("accepted", "in_store", "shipped"))
    sent = created + timedelta(minutes=2)
    out["order"].append((pk, merchant, connection, pk, miinto_id, 50_000_000 + n, "DKK", created, status, f"Customer {n}",
                         f"customer{n}@example.com", {"city": "Copenhagen", "zip": "2100", "country": "DK"},
                         {"city": "Copenhagen", "zip": "2100", "country": "DK"}, {"city": "Copenhagen", "country": "DK"},
                         f"#{1000 + n}", {"id": miinto_id}, created))  # fmt: skip
    first_line = None
    for k in range(lines):
        ids["position"] += 1
        position = ids["position"]
        declined = declined_one and k == lines - 1
        gtin = f"57{(n * 3 + k) % 99991:011d}"
        out["position"].append((position, merchant, connection, pk, 90_000_000 + position, 1, "499.95", "DKK", gtin,
                                {"sku": f"SKU-{position % 9973}", "title": "Organic cotton tee"},
                                "declined" if declined else "accepted"))  # fmt: skip
        out["decision"].append((position, merchant, position, "decline" if declined else "accept",
                                rng.choice(REASONS_DECLINE) if declined else "in_stock", "rule", {"stock": 3, "price": "499.95"},
                                created + timedelta(minutes=1), sent))  # fmt: skip
        if not declined:
            out["line"].append((position, merchant, pk, position, 90_000_000 + position, f"SKU-{position % 9973}", gtin,
                                "Organic cotton tee", 1, "499.95"))  # fmt: skip
            first_line = first_line or position
    done = created + timedelta(minutes=3)
    out["decision_push"].append((pk, merchant, connection, pk, "done", f"decision:{pk}", 1, sent, sent, sent))
    out["store_push"].append((pk, merchant, connection, pk, "create_order", "done", f"store:{pk}", 1, done, done, done))
    if status == "shipped":
        out["shipment"].append((pk, merchant, connection, pk, "store", f"F{pk}", "GLS", f"00{n:012d}", "gls", "sent", done, done))
        out["shipment_push"].append((pk, merchant, connection, pk, "done", f"shipment:{pk}", done, done, done))
    out["label_fetch"].append((pk, merchant, connection, pk, "fetched", 1, done, done))
    out["label"].append((pk, merchant, connection, pk, f"labels/{merchant}/{pk:032x}.pdf", 48_213, "0" * 64, done))
    calls = (
        ("transfer", str(miinto_id), "from_miinto", "transfers.read", "GET", "transfer"),
        ("transfer", str(miinto_id), "to_miinto", "positions.decide", "PATCH", "transfer"),
        ("order", str(pk), "from_miinto", "orders.read", "GET", "order"),
        ("order", str(pk), "to_store", "store.order_create", "POST", "order"),
        ("order", str(pk), "from_store", "store.order_read", "GET", "order"),
        ("order", str(pk), "to_miinto", "labels.fetch", "GET", "ack"),
        ("order", str(pk), "from_store", "store.fulfillments", "GET", "ack"),
        ("order", str(pk), "to_miinto", "shipments.send", "POST", "ack"),
    )
    for minute, (subject_type, subject_id, direction, operation, method, body) in enumerate(calls):
        ids["activity"] += 1
        out["activity"].append((ids["activity"], merchant, connection, run, subject_type, subject_id, direction, operation, True,
                                200, 40 + (n * 7 + minute * 13) % 860, method, URLS[operation], activity_body_json(body, n, pk, rng),
                                created + timedelta(minutes=minute)))  # fmt: skip
    if n % 20 == 3 and first_line:
        ids["rma"] += 1
        out["rma"].append((ids["rma"], merchant, connection, pk, 30_000_000 + n, miinto_id, "customer", "pending", "DKK", "499.95",
                           created + timedelta(days=3), created + timedelta(days=3), {"id": 30_000_000 + n}))  # fmt: skip
        out["rma_line"].append((ids["rma"], merchant, ids["rma"], first_line, 40_000_000 + n, 90_000_000 + first_line, 1, "499.95",
                                "499.95"))  # fmt: skip
    if n % 100 == 42:
        ids["problem"] += 1
        out["problem"].append((ids["problem"], merchant, "store_order_failed", connection, "The store refused the order: SKU unknown",
                               "order", str(pk), f"store_order_failed:{pk}", "open", done, done))  # fmt: skip


# --- the server and the measurements ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "koongo" / "gunicorn_conf.py"), "koongo.wsgi",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /healthz")


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def session_cookie(username: str) -> str:
    """A logged-in session, made the way Django's test client does it (the login form is not what is measured)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies["sessionid"].value


def read_paths(base: str, target: dict, client) -> dict[str, str]:
    """The URLs to time for one merchant: API lists (first, filtered, 20th page), API detail, dashboard pages."""
    from django_scopes import scopes_disabled

    from connections.models import Problem
    from orders.models import Order, Transfer

    merchant = target["merchant"]
    with scopes_disabled():
        newest = Order.objects.filter(merchant_id=merchant).order_by("-pk").first()
        transfer = Transfer.objects.filter(merchant_id=merchant).order_by("-pk").first()
        problem = Problem.objects.filter(merchant_id=merchant).order_by("-pk").first()
    month_end = NOW.date()
    month_start = (NOW - timedelta(days=30)).date()
    paths = {}
    lists = {
        "orders": f"status=shipped&created_after={month_start - timedelta(days=60)}&created_before={month_start}",
        "transfers": f"status=accepted&date_from={month_start}&date_to={month_end}",
        "positions": "status=accepted",
        "rmas": f"status=pending&created_after={month_start - timedelta(days=365)}&created_before={month_end}",
        "activity": "direction=to_miinto",
        "problems": "state=open",
    }
    for name, filtered in lists.items():
        paths[f"api {name} first"] = f"/api/v1/{name}/"
        paths[f"api {name} filtered"] = f"/api/v1/{name}/?{filtered}"
        url, page = f"/api/v1/{name}/", 1
        while page < 20:  # follow the cursor to the 20th page (or the last one a small merchant has)
            following = client.get(base + url).json().get("next")
            if not following:
                break
            url, page = following.removeprefix(base), page + 1
        paths[f"api {name} page 20"] = url
    if newest:
        paths["api order detail"] = f"/api/v1/orders/{newest.pk}/"
        paths["api shipments of an order"] = f"/api/v1/orders/{newest.pk}/shipments/"
    paths["dash overview"] = "/"
    paths["dash orders"] = "/orders/"
    paths["dash orders filtered"] = f"/orders/?status=accepted&date_from={month_start}&date_to={month_end}"
    if transfer:
        paths["dash order detail"] = f"/orders/{transfer.pk}/?tab=communications"
    paths["dash problems"] = "/problems/"
    paths["dash activity"] = "/activity/"
    paths["dash catalog"] = "/catalog/"
    del problem
    return paths


def time_path(client, url: str, repeats: int) -> dict:
    samples = []
    for i in range(repeats + 2):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
        if i >= 2:  # the first two warm the worker's caches
            samples.append(elapsed)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, math.ceil(0.99 * len(samples)) - 1)], 1),
        "kb": round(len(response.content) / 1024, 1),
    }


def rps(base: str, url: str, headers: dict, clients: int, seconds: float) -> float:
    import httpx

    done = []
    stop = time.perf_counter() + seconds

    def worker():
        count = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while time.perf_counter() < stop:
                if client.get(url).status_code == 200:
                    count += 1
        done.append(count)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(done) / (time.perf_counter() - started), 1)


def measure(base: str, targets: dict, repeats: int, rps_seconds: float) -> dict:
    import httpx

    per_path = {}
    order_list_rps = None
    for label, target in targets.items():
        api = httpx.Client(base_url=base, headers={"Authorization": f"Api-Key {target['api_key']}"}, timeout=60)
        dash = httpx.Client(base_url=base, cookies={"sessionid": session_cookie(target["username"])}, timeout=60)
        for name, url in read_paths(base, target, api).items():
            client = api if name.startswith("api") else dash
            per_path[f"{label}: {name}"] = {"url": url, **time_path(client, url, repeats)}
        if label == "largest":
            order_list_rps = rps(base, "/api/v1/orders/", dict(api.headers), 8, rps_seconds)
        api.close()
        dash.close()
    return {"per_path": per_path, "api_rps_8_clients": order_list_rps}


def db_bytes_per_order(orders: int) -> int:
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'm') AND n.nspname = 'public'"
        )
        return round(cursor.fetchone()[0] / max(orders, 1))


def run_once(url: str, merchants: int, orders: int, repeats: int, rps_seconds: float, data_dir: str) -> dict:
    reset_database(url)
    env = server_env(data_dir)
    os.environ.update(env)
    # The seeding and the measuring run in a child: each size gets fresh Django connections to its fresh database.
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--merchants", str(merchants), "--orders", str(orders), "--repeats", str(repeats),
         "--rps-seconds", str(rps_seconds)],
        env=env, stdout=subprocess.PIPE, text=True, check=True,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def child(args) -> dict:
    seeded = seed(args.merchants, args.orders)
    process, base = start_server(dict(os.environ))
    try:
        measured = measure(base, seeded["targets"], args.repeats, args.rps_seconds)
    finally:
        stop_server(process)
    return {"seed_s": seeded["seed_s"], "db_bytes_per_order": db_bytes_per_order(args.orders), **measured,
            "targets": {k: {"merchant": v["merchant"], "orders": v["orders"]} for k, v in seeded["targets"].items()}}  # fmt: skip


def worst(per_path: dict) -> tuple[str, float]:
    name = max(per_path, key=lambda k: per_path[k]["p99_ms"])
    return name, per_path[name]["p99_ms"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=1_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--growth", action="store_true", help="also measure at 1%% of the size and report growth_ratio")
    parser.add_argument("--repeats", type=int, default=None, help="timed requests per path (default 50, 5 below 10k orders)")
    parser.add_argument("--rps-seconds", type=float, default=None, help="length of the 8-client run (default 10 s)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    small = args.orders < 10_000
    args.repeats = args.repeats or (5 if small else 50)
    args.rps_seconds = args.rps_seconds or (2.0 if small else 10.0)
    if args.child:
        print(json.dumps(child(args)))
        return {}

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database whose name contains 'bench'")
    with tempfile.TemporaryDirectory(prefix="koongo-bench-") as data_dir:
        env = server_env(data_dir)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        full = run_once(url, args.merchants, args.orders, args.repeats, args.rps_seconds, data_dir)
        growth_ratio = None
        path, worst_p99 = worst(full["per_path"])
        if args.growth:
            small_run = run_once(url, max(1, args.merchants // 100), max(100, args.orders // 100), args.repeats, args.rps_seconds,
                                 data_dir)  # fmt: skip
            ratios = {}
            for name, figures in full["per_path"].items():
                label, _, rest = name.partition(": ")
                if name in small_run["per_path"]:
                    ratios[name] = round(figures["p99_ms"] / max(small_run["per_path"][name]["p99_ms"], 0.1), 2)
            growth_ratio = ratios.get(path)
            full["growth_per_path"] = ratios
            full["small"] = {"orders": max(100, args.orders // 100), "per_path": small_run["per_path"]}
    result = {
        "orders": args.orders,
        "merchants": args.merchants,
        "seed_s": full["seed_s"],
        "worst_p99_ms": {"ms": worst_p99, "path": path},
        "growth_ratio": growth_ratio,
        "api_rps_8_clients": full["api_rps_8_clients"],
        "db_bytes_per_order": full["db_bytes_per_order"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "targets": full["targets"],
        "per_path": full["per_path"],
    }
    for extra in ("growth_per_path", "small"):
        if extra in full:
            result[extra] = full[extra]
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
