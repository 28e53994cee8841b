"""Mechanics shared by every adapter: paging, chunking, notes, money and tax, option names, refund lines and the stock ledger."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import islice
from typing import Protocol, TypeVar

from koongo.coordination import Locks
from koongo.http import PermanentError
from platforms.values import RefundLine

T = TypeVar("T")
C = TypeVar("C")

MAX_PAGES = 100_000


def paginate(fetch: Callable[[C | None], tuple[Iterable[T], C | None]], *, max_pages: int = MAX_PAGES) -> Iterator[T]:
    """Yield every item of a paged listing; `fetch(cursor)` returns a page and the next cursor (None at the end).

    The cursor is whatever the platform pages by: an opaque cursor, a page number or an offset.
    """
    cursor: C | None = None
    for _ in range(max_pages):
        items, cursor = fetch(cursor)
        yield from items
        if cursor is None:
            return
    raise PermanentError(f"a listing did not end after {max_pages} pages")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split items into lists of at most `size`, for APIs that cap batch sizes."""
    if size < 1:
        raise ValueError("chunk size must be positive")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def unique(items: Iterable[T]) -> list[T]:
    """Items without repeats, in first-seen order."""
    return list(dict.fromkeys(items))


def append_note(current: str | None, text: str) -> str | None:
    """The note with `text` appended on its own line, or None when the note already holds it (so retries add nothing)."""
    current = current or ""
    if text in current:
        return None
    return f"{current.rstrip()}\n{text}" if current.strip() else text


CENT = Decimal("0.01")
# Option names under which stores keep a variant's colour and size, in the languages of Miinto's markets.
COLOR_NAMES = frozenset({"color", "colour", "farve", "färg", "farge", "kleur", "farbe", "couleur", "kolor", "väri"})
SIZE_NAMES = frozenset({"size", "størrelse", "storlek", "maat", "größe", "grösse", "taille", "rozmiar", "koko"})


def cents(amount: Decimal) -> Decimal:
    """An amount rounded half-up to whole cents, as stores book money."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def split_gross(gross: Decimal, rate_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of an amount that includes tax at `rate_percent`; net + tax == gross to the cent."""
    gross = cents(gross)
    net = cents(gross * 100 / (100 + rate_percent))
    return net, gross - net


def gross_up(net: Decimal, rate_percent: Decimal) -> Decimal:
    """A net amount with tax at `rate_percent` added, to the cent."""
    return cents(net * (100 + rate_percent) / 100)


def option_named(options: Mapping[str, str], names: frozenset[str]) -> str | None:
    """The value of the first option whose name (any case, trimmed) is one of `names`."""
    return next((value for name, value in options.items() if name.strip().lower() in names), None)


class LedgerState(StrEnum):
    NEW = "new"
    SENT = "sent"
    DONE = "done"


class LedgerRecords(Protocol):
    """Where the stock ledger keeps its marks: the app passes a durable one (PostgreSQL); platforms never import it."""

    def state(self, namespace: str, key: str) -> LedgerState: ...

    def mark(self, namespace: str, key: str, state: LedgerState) -> None:
        """Record SENT (if nothing is recorded yet) or DONE (always wins)."""

    def forget_sent(self, namespace: str, key: str) -> None:
        """Drop a SENT mark (a DONE mark stays)."""


class CoordinationLedgerRecords:
    """Marks in the shared coordination backend (Redis or the database cache), for library use and unit tests.

    The backend offers only set-if-absent with a TTL, so presence is probed by setting and at once releasing a marker;
    the ledger's `guard` keeps the probe race-free. Redis losing its data loses these marks: production passes
    durable records instead (see `connections.stock_ledger`).
    """

    MARK = "1"

    def __init__(self, locks: Locks, *, ttl: float = 30 * 24 * 3600):
        self.locks = locks
        self.ttl = ttl

    def _name(self, namespace: str, key: str, what: str) -> str:
        return f"stock-ledger:{namespace}:{key}:{what}"

    def _present(self, name: str) -> bool:
        probe = uuid.uuid4().hex
        if self.locks.backend.acquire(name, probe, self.ttl):
            self.locks.backend.release(name, probe)
            return False
        return True

    def state(self, namespace: str, key: str) -> LedgerState:
        if self._present(self._name(namespace, key, "done")):
            return LedgerState.DONE
        if self._present(self._name(namespace, key, "sent")):
            return LedgerState.SENT
        return LedgerState.NEW

    def mark(self, namespace: str, key: str, state: LedgerState) -> None:
        self.locks.backend.acquire(self._name(namespace, key, str(state)), self.MARK, self.ttl)

    def forget_sent(self, namespace: str, key: str) -> None:
        self.locks.backend.release(self._name(namespace, key, "sent"), self.MARK)


class StockLedger:
    """Remembers, per stock-change key, whether a write was sent and whether it was confirmed.

    A retry in another worker thus knows that an earlier attempt reached the wire. The marks live in `records`
    (durable ones from the app, else the coordination backend); `guard` serialises the examination of one key.
    """

    def __init__(self, locks: Locks, namespace: str, *, records: LedgerRecords | None = None):
        self.locks = locks
        self.namespace = namespace
        self.records = records if records is not None else CoordinationLedgerRecords(locks)

    def guard(self, key: str):
        """Hold the per-key lock while one change is examined and applied."""
        return self.locks.wait_for(f"stock-change:{self.namespace}:{key}", ttl=120, timeout=60)

    def state(self, key: str) -> LedgerState:
        return self.records.state(self.namespace, key)

    def mark_sent(self, key: str) -> None:
        self.records.mark(self.namespace, key, LedgerState.SENT)

    def mark_done(self, key: str) -> None:
        self.records.mark(self.namespace, key, LedgerState.DONE)

    def forget_sent(self, key: str) -> None:
        """The write definitely did not apply (refused, throttled): a later retry may send it again."""
        self.records.forget_sent(self.namespace, key)


def remaining_lines(ordered: Iterable[RefundLine], refunded: Iterable[RefundLine]) -> list[RefundLine]:
    """The ordered lines less what was already refunded, for stores that only say "this order was refunded".

    `ordered` amounts are line totals; a refunded line matches by `line_id` where both have one, else by `sku`.
    The amount of a partly refunded line is prorated to its remaining quantity.
    """
    taken: dict[str, int] = {}
    for line in refunded:
        name = line.line_id or line.sku or ""
        taken[name] = taken.get(name, 0) + line.quantity
    remaining = []
    for line in ordered:
        name = line.line_id if line.line_id in taken else line.sku or ""
        used = min(taken.get(name, 0), line.quantity)
        taken[name] = taken.get(name, 0) - used
        left = line.quantity - used
        if left > 0:
            amount = None if line.amount is None else (line.amount * left / line.quantity).quantize(Decimal("0.01"))
            remaining.append(line.model_copy(update={"quantity": left, "amount": amount}))
    return remaining


def placeholder_email(key: str) -> str:
    """A stable, undeliverable address for an order that has none, where the store needs one per customer.

    Derived from our key, so a retried create finds the customer the first attempt made instead of adding another.
    """
    local = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "order"
    return f"{local}@marketplace.invalid"
