"""A live sync run's heartbeat: a small thread that renews the run's lock lease and stamps `SyncRun.heartbeat_at`.

A killed worker stops beating, so its lock expires within one lease and the run is judged dead by the missed
heartbeat (see `runs.run_is_lost`), not by a fixed timeout sized for the longest run.
"""

from __future__ import annotations

import logging
import threading

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


def beat(run_id: int) -> None:
    """Stamp the run as alive (only while it is running: a run declared lost stays lost)."""
    with scopes_disabled():  # called from the heartbeat thread with the run's id; the id is the scope
        SyncRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())


class Heartbeat:
    """Context manager: while the body runs, renew `lease` and stamp the run every `heartbeat_seconds()`."""

    def __init__(self, run_id: int, lease: Lease):
        self.run_id = run_id
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sync-run-{run_id}-heartbeat", daemon=True)

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
        try:
            # The lock first: it must never expire before the heartbeat another process judges us by.
            if not self.lease.renew() and not self.lease.backend.acquire(self.lease.key, self.lease.token, self.lease.ttl):
                # Lost (e.g. Redis lost its data) and taken by someone else: keep beating so the run is not
                # declared dead under a worker that is still writing; the conditional updates fence the rest.
                log.warning("sync run %s lost its lock %s", self.run_id, self.lease.key)
            beat(self.run_id)
        except Exception:  # a failed beat must never kill the run; the next beat tries again
            log.exception("heartbeat of sync run %s failed", self.run_id)
