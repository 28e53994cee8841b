"""Chaos: real Celery workers and beat on PostgreSQL and Redis, every remote failing, workers killed; then check nothing
was lost or done twice.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koongo_chaos python bench/chaos.py --transfers 1000 --seed 1

The database named by DATABASE_URL (its name must contain "chaos") is dropped and created again. The simulators run in
this process on loopback (their records are what the invariants are checked against); Redis is a redis-server of our
own on a free port, restarted once with its data lost. Prints one JSON line; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")

PLATFORMS = ("shopify", "magento2", "bigcommerce", "prestashop", "shopware5")
# Ten Miinto shops; the nth uses PLATFORMS[n % 5]. The stores sell in DKK, so shops that put orders into them are Danish
# (a store refuses an order in another currency); Stock only shops may be anywhere. No CN: Miinto China takes no returns.
MARKETS = ("DK", "DK", "DK", "DK", "DK", "DK", "SE", "NO", "DK", "DE")
# (sync level, auto-accept, stock buffer) per connection: both levels, auto-accept on and off, some buffers.
MODES = (
    ("orders_and_stock", True, 0), ("orders_and_stock", True, 1), ("orders_and_stock", True, 0),
    ("orders_and_stock", True, 2), ("orders_and_stock", True, 0),
    ("orders_and_stock", False, 0), ("stock_only", True, 1), ("stock_only", False, 0),
    ("orders_and_stock", False, 0), ("stock_only", True, 0),
)
STALL_LIMIT_S = 120.0
SUCCESS = ("succeeded", "partial")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """Our own redis-server on a free port: no persistence, so a restart loses every key."""

    def __init__(self, workdir: str):
        self.port, self.workdir, self.process = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.workdir]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Fleet:
    """The Celery worker processes and beat, each in its own process group so a kill takes the whole pool."""

    def __init__(self, env: dict, logdir: str, concurrency: int):
        self.env, self.logdir, self.concurrency = env, logdir, concurrency
        self.workers: list[subprocess.Popen] = []
        self.beat: subprocess.Popen | None = None
        self.started = 0

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(Path(self.logdir) / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        celery = str(Path(sys.executable).parent / "celery")
        return subprocess.Popen([celery, "-A", "koongo", *args], cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                start_new_session=True)

    def start_worker(self) -> None:
        self.started += 1
        name = f"worker{self.started}"
        self.workers.append(self._spawn(["worker", "-l", "warning", "-n", f"{name}@%h", "--concurrency",
                                         str(self.concurrency), "--without-gossip", "--without-mingle"], name))

    def start_beat(self) -> None:
        schedule = str(Path(self.logdir) / "celerybeat-schedule")
        self.beat = self._spawn(["beat", "-l", "warning", "-s", schedule], "beat")

    def kill_worker(self, rng: random.Random) -> None:
        victim = rng.choice([w for w in self.workers if w.poll() is None])
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        self.workers.remove(victim)

    def stop(self) -> None:
        for child in [*self.workers, *([self.beat] if self.beat else [])]:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in [*self.workers, *([self.beat] if self.beat else [])]:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "chaos" not in name:
        raise SystemExit(f"DATABASE_URL must name a scratch database containing 'chaos' (it is dropped), not {name!r}")
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_connections(url: str) -> int:
    """The PostgreSQL connection drop: terminate every backend of the chaos database (workers, beat, us)."""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            [parts.path.lstrip("/")]).fetchall()
    return len(rows)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1000, help="transfers, in waves (each of 1-3 positions, 3 on average)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="prefork processes per worker (docker-compose runs 4)")
    parser.add_argument("--waves", type=int, default=10)
    parser.add_argument("--wave-seconds", type=float, default=20.0)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--redis-restarts", type=int, default=1)
    parser.add_argument("--pg-drops", type=int, default=1)
    parser.add_argument("--return-share", type=float, default=0.15, help="accepted orders that get a customer return")
    parser.add_argument("--shipment-share", type=float, default=0.3, help="store orders the merchant ships in the store")
    parser.add_argument("--store-refund-share", type=float, default=0.05, help="store orders the merchant refunds in the store")
    parser.add_argument("--faults", type=float, default=1.0, help="scale of the fault rates (0 turns faults off)")
    parser.add_argument("--quiet-timeout", type=float, default=1500.0, help="longest wait for the system to settle")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="the workers' outbox clock (backoffs, leases, sweeps); the CI smoke runs at 0.2")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args(argv)

    # A stopped benchmark still stops its workers, beat and Redis (the finally below); SIGINT is ignored in background jobs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koongo_chaos")
    recreate_database(database_url)
    workdir = tempfile.mkdtemp(prefix="koongo-chaos-")
    redis = Redis(workdir)
    redis.start()
    fleet = None
    servers = []
    try:
        from bench import chaos_world

        world = chaos_world.World(args, database_url, redis.url, workdir)
        servers = world.serve_simulators()
        world.setup()
        env = world.worker_environment()
        fleet = Fleet(env, workdir, args.concurrency)
        for _ in range(args.workers):
            fleet.start_worker()
        fleet.start_beat()
        report = chaos_world.drive(world, fleet, redis, args, drop_pg=lambda: drop_pg_connections(database_url))
    finally:
        if fleet:
            fleet.stop()
        redis.kill()
        for server in servers:
            server.shutdown()
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    sys.exit(1 if main()["violations"] else 0)
