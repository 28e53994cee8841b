"""The chaos benchmark at smoke size: real Celery workers and beat, a worker killed, Redis restarted, PostgreSQL
connections dropped and every remote failing; nothing may be lost or done twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def chaos_database_url() -> str:
    """A scratch database on the suite's PostgreSQL server, named for the benchmark (which drops and creates it)."""
    db = settings.DATABASES["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/koongo_chaos_smoke_{worker}"


def failure_summary(report: dict, stderr: str) -> str:
    """What CI prints of a failed run: the violated invariants with their examples, the kills and what was left."""
    violated = {name: found for name, found in report["invariants"].items() if found["violated"]}
    wanted = ("settled", "backlog_at_end", "kills", "max_stall_after_kill_s", "settle_s", "faults_injected")
    return json.dumps({"violated": violated, **{key: report.get(key) for key in wanted}}, default=str) + "\n" + stderr[-2000:]


@pytest.mark.chaos
@pytest.mark.postgres
def test_chaos_smoke_holds_every_invariant():
    env = {**os.environ, "DATABASE_URL": chaos_database_url(), "DJANGO_SETTINGS_MODULE": "koongo.settings", "DJANGO_ENV": "dev"}
    env.pop("REDIS_URL", None)  # the benchmark runs its own redis-server: it restarts it, which would break a shared one
    argv = [sys.executable, "bench/chaos.py", "--transfers", "20", "--waves", "2", "--wave-seconds", "10", "--workers", "2",
            "--concurrency", "1", "--kills", "1", "--seed", "7", "--faults", "0.5", "--quiet-timeout", "900", "--time-scale", "0.2"]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["violations"] == 0, failure_summary(report, done.stderr)
    assert done.returncode == 0
    assert report["settled"] and report["chaos"]["worker_kills"] == 1 and report["chaos"]["redis_restarts"] == 1
    assert sum(report["faults_injected"].values()) > 0
    assert report["invariants"]["decided_once_and_equal"]["checked"] >= 20
