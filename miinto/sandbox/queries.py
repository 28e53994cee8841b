"""The query strings the simulated Miinto accepts: known parameters only, known statuses, strict paging (§4, §7, §11).

Miinto answers a request it cannot read with 400 rather than guessing, so a client bug (a typo in a parameter,
a status that does not exist, a page larger than the cap) shows up here instead of as a silently wrong list.
"""

from __future__ import annotations

import re

from koongo.sandbox_kit import Request
from miinto.sandbox.state import Failure

MAX_PAGE_SIZE = 100  # the largest `limit` a list answers; a larger one is refused, not cut down
DEFAULT_PAGE_SIZE = 50
LIST_PARAMETERS = frozenset({"status[]", "limit", "offset", "sort"})
# `status[]` values per list, as §11 fixes them.
TRANSFER_STATUSES = frozenset({"pending", "decided"})
ORDER_STATUSES = frozenset({"pending", "accepted", "declined", "sent"})
RETURN_STATUSES = frozenset({"pending", "accepted", "declined"})
_COUNT = re.compile(r"[0-9]+")  # ASCII digits only: Python's int() would also take "+5", "1_0" and "٥"


def check_parameters(request: Request, allowed: frozenset[str]) -> None:
    """400 `unknown_parameter` for any query parameter the endpoint does not take."""
    unknown = sorted({key for key, _ in request.query} - allowed)
    if unknown:
        raise Failure(400, "unknown_parameter", f"Unknown query parameter(s): {', '.join(unknown)}")


def statuses(request: Request, allowed: frozenset[str]) -> set[str]:
    """The `status[]` filter; 400 `invalid_status` for a value the list does not have."""
    wanted = set(request.args("status[]"))
    if wanted - allowed:
        raise Failure(400, "invalid_status", f"status[] must be one of {', '.join(sorted(allowed))}")
    return wanted


def count(request: Request, name: str, default: int) -> int:
    """A non-negative integer parameter written as plain digits; 400 `invalid_paging` otherwise."""
    raw = request.arg(name)
    if raw is None:
        return default
    if not _COUNT.fullmatch(raw):
        raise Failure(400, "invalid_paging", f"{name} must be a non-negative integer")
    return int(raw)


def paging(request: Request) -> tuple[int, int]:
    """(limit, offset); a `limit` above the cap is refused. `limit=0` reads only `meta.totalItemCount` (§4)."""
    limit, offset = count(request, "limit", DEFAULT_PAGE_SIZE), count(request, "offset", 0)
    if limit > MAX_PAGE_SIZE:
        raise Failure(400, "invalid_paging", f"limit must be at most {MAX_PAGE_SIZE}")
    return limit, offset
