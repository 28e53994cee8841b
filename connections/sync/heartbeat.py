"""A live sync run's heartbeat: a small thread that renews the run's lock lease and stamps `SyncRun.heartbeat_at`.

A killed worker stops beating, so its lock expires within one lease and the run is judged dead by the missed
heartbeat (see `runs._lost`), not by a fixed timeout sized for the longest run.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import RunStatus, SyncRun
from koongo.coordination import Lease

log = logging.getLogger(__name__)


def lease_seconds() -> float:
    """How long a run's lock and heartbeat stay valid without a renewal."""
    return float(getattr(settings, "SYNC_RUN_LEASE_SECONDS", 45))


def heartbeat_seconds() -> float:
    """How often a live run renews; a few beats fit in one lease, so one slow renewal is not a death."""
    return float(getattr(settings, "SYNC_RUN_HEARTBEAT_SECONDS", 10))


def beat(run_ids: Iterable[int]) -> None:
    """Stamp the runs as alive in one UPDATE (only while running: a run declared lost stays lost)."""
    with scopes_disabled():  # called from the heartbeat thread with the runs' ids; the ids are the scope
        SyncRun.objects.filter(pk__in=list(run_ids), status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())


class Heartbeat:
    """Context manager: while the body runs, renew every held lease and stamp its run every `heartbeat_seconds()`.

    One thread serves a whole connection tick: runs join with `add` and leave with `discard` as their flows end.
    """

    def __init__(self, run_id: int | None = None, lease: Lease | None = None):
        self._held: dict[int, Lease] = {}
        self._guard = threading.Lock()
        if run_id is not None and lease is not None:
            self._held[run_id] = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sync-run-{run_id or 'tick'}-heartbeat", daemon=True)

    def add(self, run_id: int, lease: Lease) -> None:
        with self._guard:
            self._held[run_id] = lease

    def discard(self, run_id: int) -> None:
        with self._guard:
            self._held.pop(run_id, None)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=heartbeat_seconds() + 5)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(heartbeat_seconds()):
                self._renew()
        finally:
            db_connection.close()  # this thread's own connection

    def _renew(self) -> None:
        with self._guard:
            held = dict(self._held)
        if not held:
            return
        try:
            for run_id, lease in held.items():
                # The lock first: it must never expire before the heartbeat another process judges us by.
                if not lease.renew() and not lease.backend.acquire(lease.key, lease.token, lease.ttl):
                    # Lost (e.g. Redis lost its data) and taken by someone else: keep beating so the run is not
                    # declared dead under a worker that is still writing; the conditional updates fence the rest.
                    log.warning("sync run %s lost its lock %s", run_id, lease.key)
            beat(held)
        except Exception:  # a failed beat must never kill the run; the next beat tries again
            log.exception("heartbeat of sync runs %s failed", sorted(held))
            # Over a new connection: a dropped one (PostgreSQL restarted, the backend terminated) would fail every
            # later beat, and the live run would be judged lost.
            with contextlib.suppress(Exception):
                db_connection.close()
