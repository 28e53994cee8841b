"""Store adapters kept per worker thread and store connection, so consecutive store pushes share one HTTP client.

Building an adapter per push costs a client, a new TCP/TLS connection and the shop facts it caches (currency,
settings); a worker runs many pushes of one store in a row. Each push points the adapter's calls at its own recorder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator

from connections import clients

# A kept adapter is rebuilt after this long, so changed DNS (the SSRF guard runs per build) and credentials are seen.
MAX_AGE_SECONDS = 300.0
MAX_KEPT = 8

_local = threading.local()


class CallSink:
    """An adapter's `on_call`: forwards each call record to the recorder of the push using the adapter now."""

    def __init__(self) -> None:
        self.target: Callable | None = None

    def __call__(self, record) -> None:
        if self.target is not None:
            self.target(record)


def _key(store_connection) -> tuple:
    # Credentials are part of the key: a store whose credentials were edited gets a new adapter at once.
    digest = hashlib.sha256(json.dumps(store_connection.credentials, sort_keys=True, default=str).encode()).hexdigest()
    # And the transport tests inject: an adapter built for one simulator never talks to the next test's.
    return store_connection.pk, store_connection.platform, digest, id(clients.transport_for(store_connection.platform))


@contextlib.contextmanager
def store_adapter_for(store_connection, *, on_call: Callable | None = None) -> Iterator:
    """This thread's adapter for the store, built on first use; its calls go to `on_call` while the block runs."""
    kept: dict = _local.__dict__.setdefault("adapters", {})
    now = time.monotonic()
    for key, (adapter, _sink, built) in list(kept.items()):
        if now - built > MAX_AGE_SECONDS:
            kept.pop(key)
            adapter.close()
    key = _key(store_connection)
    if key not in kept:
        if len(kept) >= MAX_KEPT:
            _old_key, (oldest, _sink, _built) = min(kept.items(), key=lambda item: item[1][2])
            kept.pop(_old_key)
            oldest.close()
        sink = CallSink()
        kept[key] = (clients.store_adapter(store_connection, on_call=sink), sink, now)
    adapter, sink, _built = kept[key]
    sink.target = on_call
    try:
        yield adapter
    finally:
        sink.target = None


def store_adapters_close() -> None:
    """Close this thread's kept adapters (a worker shutting down, a benchmark finishing)."""
    kept: dict = _local.__dict__.get("adapters", {})
    while kept:
        adapter, _sink, _built = kept.popitem()[1]
        adapter.close()
