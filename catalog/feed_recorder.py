"""Records each served feed chunk beside the stream: on PostgreSQL a second thread, with its own connection, writes one
chunk while the next one renders, so that a 100,000-row first pull (every listing new) still ends within 15 s (§12.1).

Inside an open transaction (tests, or a caller's atomic block) and on SQLite it writes inline instead: another
connection could not see uncommitted rows, and SQLite has a single writer anyway.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection as db
from django.db import connections

from koongo.accounts.tenancy import merchant_scope

IN_FLIGHT = 2  # chunks written or waiting at once: memory stays at a few chunks whatever the catalog's size


class ChunkRecorder:
    """`record(fn, *args)` runs `fn` in the merchant's scope, in order; `close()` waits for all and re-raises a failure."""

    def __init__(self, merchant):
        self.merchant = merchant
        self.threaded = db.vendor == "postgresql" and not db.in_atomic_block
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-recorder") if self.threaded else None
        self._pending: deque[Future] = deque()

    def record(self, fn: Callable, *args) -> None:
        if self._executor is None:
            fn(*args)
            return
        while len(self._pending) >= IN_FLIGHT:
            self._pending.popleft().result()  # waits when the writer lags, and raises its error here
        self._pending.append(self._executor.submit(self._in_scope, fn, *args))

    def _in_scope(self, fn: Callable, *args) -> None:
        with merchant_scope(self.merchant):
            fn(*args)

    def close(self) -> None:
        """Wait for every submitted chunk (they were all served), then release the thread and its connection."""
        if self._executor is None:
            return
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._executor.submit(connections.close_all).result()
            self._executor.shutdown(wait=True)
            self._executor = None
