"""Log lines that join up: context (run, flow, order, transfer) bound once and carried by every line beneath it.

structlog's context variables feed both structlog's own lines and the standard library's (through the
ProcessorFormatter in settings), so `grep run_id=…` finds every line of one sync run, whichever logger wrote it.
"""

from contextlib import contextmanager

import structlog

# Secrets and the Miinto channel id are never bound: they are credentials, not context.
FORBIDDEN = frozenset({"channel_id", "token", "password", "secret"})


@contextmanager
def log_context(**values):
    """Bind `values` to every log line written inside the block (ids only, never secrets)."""
    refused = FORBIDDEN.intersection(values)
    if refused:
        raise ValueError(f"never log {sorted(refused)}")
    with structlog.contextvars.bound_contextvars(**values):
        yield


def shared_processors() -> list:
    """The processors both structlog and standard-library records pass through before rendering."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.processors.format_exc_info,
    ]


# For the settings' LOGGING formatter (dictConfig takes objects through ext:// references).
FOREIGN_PRE_CHAIN = shared_processors()
JSON_RENDERER = structlog.processors.JSONRenderer()
