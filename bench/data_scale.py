"""Benchmark the read paths at scale: N orders over M merchants on PostgreSQL, read through gunicorn with production settings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_bench python bench/data_scale.py --merchants 1000 --orders 1000000

The database in DATABASE_URL is dropped and created again (its name must contain "bench"), unless `--reuse` finds a data
set of the same size there; `--growth` keeps its 1% data set in "<name>_small". Merchant sizes are skewed: one
merchant has 10% of the orders, the median one a few hundred. Every order carries its transfer, positions, decisions,
pushes, a shipment with its label, about 8 communications-log entries with realistic bodies; 5% have an RMA and 1% an open
problem. Rows go in with COPY. The API lists, the API order detail and the dashboard pages are then timed for the largest
and for a median merchant: p50/p99 at 1 client, and requests per second at 8 clients on the order list. `--growth` repeats
the measurements at 1% of the size and reports `growth_ratio` (worst full-size p99 over that path's p99 at 1%).
Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
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
SEED_TABLE = "bench_seed"  # one row: the sizes, seeding time and measured merchants of the data set
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


def copy_text(value) -> str:
    """One value in COPY's text format: NULL as \\N, booleans as t/f, JSON as text, the format's four escapes."""
    kind = type(value)
    if kind is str:
        pass
    elif kind is int:
        return str(value)
    elif kind is datetime:
        return value.isoformat()
    elif value is None:
        return "\\N"
    elif kind is bool:
        return "t" if value else "f"
    elif kind is dict or kind is list:
        value = json.dumps(value)
    else:
        return str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


class Copier:
    """COPY text of one model's rows: the given columns first, the others from the field defaults.

    The lines are built here, not by psycopg's `write_row`, which adapts each value on its own: that was most of the
    loader's Python time.
    """

    def __init__(self, model, given: tuple[str, ...]):
        fields = {f.column: f for f in model._meta.concrete_fields}
        rest = [column for column in fields if column not in given]
        self.tail = "".join("\t" + copy_text(self._default(fields[column])) for column in rest) + "\n"
        columns = ", ".join(f'"{c}"' for c in [*given, *rest])
        self.statement = f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN'
        self.width = len(given)

    @staticmethod
    def _default(field):
        if field.has_default():
            return field.get_default()
        return None if field.null else ""

    def text(self, rows: list[tuple]) -> str:
        tail, width = self.tail, self.width
        return "".join(["\t".join(map(copy_text, row[:width])) + tail for row in rows])


class CopyWriter:
    """Runs the COPY statements in a thread, so PostgreSQL parses one batch while Python builds the next.

    psycopg releases the GIL while it waits on the server; with two cores the loader's Python and the server's COPY
    overlap instead of taking turns. At most two batches wait in the queue.
    """

    def __init__(self, cursor):
        self.cursor, self.queue, self.error = cursor, queue.Queue(maxsize=2 * 16), None
        self.thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self.thread.start()

    def put(self, statement: str, text: str) -> None:
        if self.error:
            raise self.error
        self.queue.put((statement, text))

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error:
                continue
            statement, text = item
            try:
                with self.cursor.copy(statement) as copy:
                    copy.write(text)
            except Exception as error:  # surfaced to the loader on its next put() or at close()
                self.error = error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error:
            raise self.error


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
    load_orders(merchant_rows, connections, runs, owners, rng, Progress(orders, "seeding orders"), defer_indexes=True)
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
    with db.cursor() as cursor:  # what --reuse needs to measure this data set again (the keys are made anew then)
        cursor.execute(f"CREATE TABLE {SEED_TABLE} (merchants integer, orders integer, seed_s float, targets jsonb)")
        public = {label: {k: v for k, v in target.items() if k != "api_key"} for label, target in credentials.items()}
        cursor.execute(f"INSERT INTO {SEED_TABLE} VALUES (%s, %s, %s, %s)", [merchants, orders, seed_s, json.dumps(public)])
    return {"seed_s": round(seed_s, 1), "targets": credentials}


def seeded_sizes(url: str) -> tuple[int, int] | None:
    """(merchants, orders) of the data set already in the database at `url`, or None when it holds none."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            return conn.execute(f"SELECT merchants, orders FROM {SEED_TABLE}").fetchone()
    except psycopg.Error:
        return None


def reuse_seed() -> dict:
    """The seeding record of the database's data set, with a new API key for each measured merchant."""
    import django

    django.setup()
    from django.db import connection as db
    from django_scopes import scopes_disabled

    from koongo.accounts.models import Merchant, MerchantApiKey

    with db.cursor() as cursor:
        cursor.execute(f"SELECT seed_s, targets FROM {SEED_TABLE}")
        seed_s, targets = cursor.fetchone()
    targets = json.loads(targets) if isinstance(targets, str) else targets
    with scopes_disabled():
        for label, target in targets.items():
            merchant = Merchant.objects.get(pk=target["merchant"])
            _, target["api_key"] = MerchantApiKey.objects.create_key(name=f"bench {label}", merchant=merchant, role="viewer")
    return {"seed_s": round(seed_s, 1), "targets": targets, "reused": True}


@contextmanager
def indexes_deferred(cursor, tables: list[str], progress_label: str | None = None):
    """Drop the tables' foreign keys, unique constraints and secondary indexes, load, then build them again.

    What pg_restore does and PostgreSQL's "Populating a Database" advises: one sort per index after the load is far
    cheaper than maintaining a dozen B-trees row by row, and a foreign key added afterwards is checked by one join,
    not by a trigger per row (Django's are deferred, so every row's check queued until each COPY ended). The primary
    keys stay, and so does a unique key another table's foreign key points at. The definitions are read from the catalog, so what is rebuilt is exactly what the migrations made.
    """
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND (contype = 'f' OR contype = 'u' AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = pg_constraint.conindid)) "
        "ORDER BY contype = 'f' DESC",
        [tables],
    )
    constraints = cursor.fetchall()  # foreign keys first: they are dropped first, and added back last
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    # Sorts for the index builds in memory where they fit (a session setting: the server's defaults stay).
    cursor.execute("SET maintenance_work_mem = '512MB'")
    steps = [definition for _, definition in indexes]
    steps += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, kind, definition in reversed(constraints)]
    progress = Progress(len(steps), progress_label) if progress_label else None
    for statement in steps:
        cursor.execute(statement)
        if progress:
            progress.add(1)
    if progress:
        progress.close()
    cursor.execute("RESET maintenance_work_mem")


def load_orders(merchant_rows, connections, runs, owners, rng, progress=None, defer_indexes=False) -> dict:
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
        batch = 5_000
        deferred = [model._meta.db_table for model, _ in tables.values()] if defer_indexes else []
        if defer_indexes:  # a bulk load: a commit per COPY need not wait for its WAL flush (a crash means seeding again)
            cursor.execute("SET synchronous_commit = off")
        with indexes_deferred(cursor, deferred, "rebuilding indexes" if progress else None):
            _copy_batches(cursor, tables, orders, batch, owners, merchant_rows, connections, runs, step, rng, ids, counts, progress)
        for model, _ in tables.values():
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1)) FROM \"{table}\"")
    return counts


def _copy_batches(cursor, tables, orders, batch, owners, merchant_rows, connections, runs, step, rng, ids, counts, progress):
    """Build the rows of `batch` orders at a time and COPY them, table by table, through a writer thread."""
    copiers = {name: Copier(model, given) for name, (model, given) in tables.items()}
    writer = CopyWriter(cursor)
    try:
        for start in range(0, orders, batch):
            buffers = {name: [] for name in tables}
            for n in range(start, min(start + batch, orders)):
                _order_rows(n, owners[n], merchant_rows, connections, runs, NOW - step * (orders - n), rng, ids, buffers)
            for name, rows in buffers.items():
                if rows:
                    writer.put(copiers[name].statement, copiers[name].text(rows))
                    counts[name] = counts.get(name, 0) + len(rows)
            if progress:
                progress.add(min(batch, orders - start))
    finally:
        writer.close()
    if progress:
        progress.close()


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


# With DATA_SCALE_TRACE=<path>, every timed request is written to <path>.client (wall clock, client ms, url) and gunicorn's
# access log to <path>.access (worker pid, request start, server µs, url), to tell a slow request's cause (in the worker or
# outside it) and whether it recurs with the clock.
TRACE = os.environ.get("DATA_SCALE_TRACE", "")
ACCESS_FORMAT = '%(p)s %(t)s %(D)s "%(U)s?%(q)s"'


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    access = ["--access-logfile", f"{TRACE}.access", "--access-logformat", ACCESS_FORMAT] if TRACE else ["--access-logfile", "/dev/null"]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "koongo" / "gunicorn_conf.py"), "koongo.wsgi",
         "--bind", f"127.0.0.1:{port}", *access],
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


# Untimed requests per path first. Gunicorn's sync workers take connections in no fixed order, so with two a worker
# could meet a path for the first time inside the timed sample (its first page of a kind builds serializer fields and
# compiles SQL, 20-40 ms more): that one request became the p99 of 50 and a random path's growth ratio.
WARM_REQUESTS = 10


@contextmanager
def client_collections_paused():
    """Keep the load generator's own garbage collections out of the timings: collect now, none while timing.

    A full collection in this process (Django, httpx and the data set's targets loaded: 80-90 ms) landed on the same
    request of the fixed schedule in every run, the 556th, and was the "median merchant's RMA list" p99 that decided
    `worst_p99_ms` and `growth_ratio` since stop 34; the server's own log had that request at 21 ms (DATA_SCALE_TRACE).
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def time_path(client, url: str, repeats: int) -> dict:
    with client_collections_paused():
        return _time_path(client, url, repeats)


def _time_path(client, url: str, repeats: int) -> dict:
    samples = []
    for i in range(repeats + WARM_REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
        if i >= WARM_REQUESTS:
            samples.append(elapsed)
            if TRACE:
                with open(f"{TRACE}.client", "a") as trace:
                    trace.write(f"{time.time():.3f} {elapsed:.1f} {url}\n")
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, math.ceil(0.99 * len(samples)) - 1)], 1),
        "kb": round(len(response.content) / 1024, 1),
    }


def rps(base: str, url: str, headers: dict, clients: int, seconds: float) -> float:
    """Requests per second of `clients` threads, each on one keep-alive connection.

    The load generator shares the server's two cores, so it is the stdlib's http.client, not httpx: httpx spent 2.4 ms
    of CPU per request, a fifth of the machine at 150 req/s, which a real client on another machine would not take.
    """
    import http.client

    done = []
    stop = time.perf_counter() + seconds
    address = urlsplit(base)

    def worker():
        count = 0
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            while time.perf_counter() < stop:
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                response.read()
                count += response.status == 200
        finally:
            connection.close()
        done.append(count)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    with client_collections_paused():
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


def run_once(url: str, merchants: int, orders: int, repeats: int, rps_seconds: float, data_dir: str, reuse: bool) -> dict:
    reused = reuse and seeded_sizes(url) == (merchants, orders)
    if not reused:
        reset_database(url)
    env = server_env(data_dir)
    env["DATABASE_URL"] = url
    os.environ.update(env)
    # The seeding and the measuring run in a child: each size gets fresh Django connections to its own database.
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--merchants", str(merchants), "--orders", str(orders), "--repeats", str(repeats),
         "--rps-seconds", str(rps_seconds), *(["--reuse"] if reused else [])],
        env=env, stdout=subprocess.PIPE, text=True, check=True,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def child(args) -> dict:
    seeded = reuse_seed() if args.reuse else seed(args.merchants, args.orders)
    process, base = start_server(dict(os.environ))
    try:
        measured = measure(base, seeded["targets"], args.repeats, args.rps_seconds)
    finally:
        stop_server(process)
    return {"seed_s": seeded["seed_s"], "reused": seeded.get("reused", False), "db_bytes_per_order": db_bytes_per_order(args.orders), **measured,
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
    parser.add_argument("--reuse", action="store_true", help="measure the data set already seeded at this size (its seed_s is reported)")
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
        full = run_once(url, args.merchants, args.orders, args.repeats, args.rps_seconds, data_dir, args.reuse)
        growth_ratio = None
        path, worst_p99 = worst(full["per_path"])
        if args.growth:
            # Its own database, "<name>_small", so that --reuse keeps both sizes.
            small_url = urlunsplit(urlsplit(url)._replace(path=urlsplit(url).path + "_small"))
            small_run = run_once(small_url, max(1, args.merchants // 100), max(100, args.orders // 100), args.repeats,
                                 args.rps_seconds, data_dir, args.reuse)  # fmt: skip
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
        "reused": full["reused"],
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
