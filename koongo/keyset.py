"""Keyset pages for dashboard lists: no COUNT(*) over a merchant's history, a "More" link carrying the last row's sort key.

Django's Paginator counts every matching row on each view and reads deep pages with OFFSET; both grow with history.
A keyset page reads `size + 1` rows after the last key shown, through the list's index, whatever the history's length.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

PARAM = "after"


@dataclass
class KeysetPage:
    object_list: list
    next_query: str | None  # the GET string of the next page, filters kept; None on the last page
    is_first: bool
    first_query: str  # the GET string of the first page, filters kept

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _encode(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(token: str, count: int) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != count:
        return None
    return values


def _after(ordering: list[str], values: list) -> Q:
    """Rows after `values` in `ordering`: (a, b, c) > (x, y, z) spelled out, with a bound on the first key for the index."""
    condition = Q()
    for i, key in enumerate(ordering):
        name = key.lstrip("-")
        step = Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": values[i]})
        for prior, value in zip(ordering[:i], values[:i], strict=False):
            step &= Q(**{prior.lstrip("-"): value})
        condition |= step
    first = ordering[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return bound & condition


def keyset_page(queryset: QuerySet, request, *, ordering: list[str], size: int) -> KeysetPage:
    """The page after `?after=` (or the first), ordered by `ordering`, which must end with a unique key (pk)."""
    token = request.GET.get(PARAM, "")
    values = _decode(token, len(ordering)) if token else None
    found = queryset.order_by(*ordering)
    if values is not None:
        if any(v is None for v in values):  # a NULL sort key: start again rather than guess its place
            values = None
        else:
            found = found.filter(_after(ordering, values))
    rows = list(found[: size + 1])
    params = request.GET.copy()
    params.pop(PARAM, None)
    first_query = params.urlencode()
    next_query = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        params[PARAM] = _encode([getattr(last, key.lstrip("-")) for key in ordering])
        next_query = params.urlencode()
    return KeysetPage(object_list=rows, next_query=next_query, is_first=values is None, first_query=first_query)
