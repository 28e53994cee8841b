"""Markers that let an adapter recognise its own writes in a store's free-text fields (notes, comments, messages).

Platforms with a refund record carry our key on it as `[koongo:<key>]` (`with_key`, `key_in`). Platforms without
one (PrestaShop, Shopware 5) keep our refunds as marker lines, so the format is shared, readable by a merchant,
and parsed back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote, unquote

from platforms.values import RefundLine

# Characters left readable inside a marker; anything else is percent-encoded so a marker always parses back.
_SAFE = "-_.:!@/+~"
_TAG = re.compile(r"\[koongo-(?P<kind>[a-z-]+):(?P<key>[^\s\]]+)(?: (?P<at>[^\]\s]+))?\](?P<rest>[^\n]*)")
# Our key on a store's own refund record: Shopify's note, BigCommerce's item reasons, Magento's credit-memo comment.
_KEY = re.compile(r"\[koongo:([^\]]+)\]")
_ITEM = re.compile(r"^(?P<qty>\d+) × (?P<sku>\S+) = (?P<amount>-?\d+(?:\.\d+)?)$")


def encode(value: str) -> str:
    """`value` made safe for a marker or a filter value: no spaces, brackets, pipes or braces."""
    return quote(value, safe=_SAFE)


def tag(kind: str, key: str, at: datetime | None = None) -> str:
    """`[koongo-<kind>:<key>]`, or with a UTC time `[koongo-<kind>:<key> 2026-05-01T10:00:00Z]`."""
    stamp = f" {at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}" if at else ""
    return f"[koongo-{kind}:{encode(key)}{stamp}]"


def with_key(text: str, key: str, *, limit: int | None = None) -> str:
    """`text` followed by the marker `[koongo:<key>]`; in a field of at most `limit` characters the text yields."""
    marker = f"[koongo:{key}]"
    if limit is not None:
        text = text[: max(0, limit - 1 - len(marker))]
    return f"{text} {marker}".strip()


def key_in(*texts: str | None) -> str | None:
    """The key of the first `[koongo:<key>]` marker in `texts`, or None: a refund carrying it is ours."""
    for text in texts:
        found = _KEY.search(text or "")
        if found:
            return found.group(1)
    return None


def without_key(text: str | None) -> str:
    """`text` without its `[koongo:<key>]` markers: the reason as the merchant reads it."""
    return _KEY.sub("", text or "").strip()


@dataclass(frozen=True)
class Tag:
    kind: str
    key: str
    at: datetime | None
    rest: str


def find_tags(text: str | None, kind: str | None = None) -> list[Tag]:
    """Every marker in `text` (of one kind, if given), in order, with the text after it on the same line."""
    found = []
    for match in _TAG.finditer(text or ""):
        if kind is not None and match["kind"] != kind:
            continue
        at = datetime.strptime(match["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if match["at"] else None
        found.append(Tag(match["kind"], unquote(match["key"]), at, match["rest"].strip()))
    return found


@dataclass(frozen=True)
class RefundNote:
    """One refund kept as a marker line, e.g.

        [koongo-refund:rma-1 2026-05-01T10:00:00Z] 1 × TEE-WHITE-M = 22.50; shipping 0.00; total 22.50 DKK; reason: wrong size

    `kind` is "refund" for a refund we made and "store-refund" for a store refund we inferred and acknowledged.
    """

    kind: str
    key: str
    at: datetime
    lines: tuple[RefundLine, ...]
    shipping: Decimal
    total: Decimal
    currency: str
    reason: str = field(default="")

    def render(self) -> str:
        items = ", ".join(f"{line.quantity} × {encode(line.sku or '')} = {line.amount}" for line in self.lines) or "no lines"
        reason = " ".join(self.reason.split())  # one line, whatever the caller sent
        text = f"{tag(self.kind, self.key, self.at)} {items}; shipping {self.shipping}; total {self.total} {self.currency}"
        return f"{text}; reason: {reason}" if reason else text

    @classmethod
    def parse_all(cls, text: str | None, kinds: Iterable[str] = ("refund", "store-refund")) -> list[RefundNote]:
        """Every well-formed refund note in `text`; malformed lines (edited by hand) are skipped, not guessed at."""
        notes = []
        for found in find_tags(text):
            if found.kind in kinds and found.at is not None:
                note = cls._parse(found)
                if note is not None:
                    notes.append(note)
        return notes

    @classmethod
    def _parse(cls, found: Tag) -> RefundNote | None:
        body, _, reason = found.rest.partition("; reason: ")
        parts = body.split("; ")
        if len(parts) != 3 or not parts[1].startswith("shipping ") or not parts[2].startswith("total "):
            return None
        lines = []
        for item in ([] if parts[0] == "no lines" else parts[0].split(", ")):
            match = _ITEM.match(item)
            if match is None:
                return None
            lines.append(RefundLine(sku=unquote(match["sku"]), quantity=int(match["qty"]), amount=Decimal(match["amount"])))
        total, _, currency = parts[2].removeprefix("total ").partition(" ")
        return cls(found.kind, found.key, found.at, tuple(lines), Decimal(parts[1].removeprefix("shipping ")), Decimal(total),
                   currency, reason)
