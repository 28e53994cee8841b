"""GraphQL execution for the Shopify simulator: projecting objects onto selections, connections, query cost and search.

Simulator objects are dicts whose values may be callables taking the field's arguments (for fields like
`lineItems(first: 50)`); projection calls them and keeps only the selected fields, as a GraphQL server does.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from platforms.shopify.graphql import Field, arguments


class FieldError(Exception):
    """A selection names a field the simulated type does not have."""


def project(value: Any, selections: list[Field], variables: dict) -> Any:
    """The value reduced to the selected fields, with callables resolved and scalars made JSON-ready."""
    if value is None:
        return None
    if isinstance(value, list):
        return [project(item, selections, variables) for item in value]
    if not selections:
        return scalar(value)
    result = {}
    for selection in selections:
        if selection.name == "__typename":
            result[selection.key] = value.get("__typename")
            continue
        if selection.name not in value:
            raise FieldError(f"Field '{selection.name}' doesn't exist on type '{value.get('__typename', 'Object')}'")
        raw = value[selection.name]
        if callable(raw):
            raw = raw(arguments(selection, variables))
        result[selection.key] = project(raw, selection.selections, variables)
    return result


def scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    return value


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def connection(items: list, args: dict) -> dict:
    """A Relay connection over `items` honouring first/after (Shopify requires `first` or `last`)."""
    first = args.get("first")
    if first is None:
        raise ValueError("you must provide one of first or last")
    start = int(base64.b64decode(args["after"]).decode().split(":")[1]) + 1 if args.get("after") else 0
    page = items[start : start + first]
    cursors = [base64.b64encode(f"cursor:{start + offset}".encode()).decode() for offset in range(len(page))]
    return {
        "nodes": page,
        "edges": [{"node": node, "cursor": cursor} for node, cursor in zip(page, cursors, strict=True)],
        "pageInfo": {
            "hasNextPage": start + first < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def requested_cost(selections: list[Field], variables: dict, *, mutation: bool = False) -> int:
    """Shopify's documented estimate: scalars 0, objects 1, connections 2 + first × node cost, mutations 10."""
    total = 10 * len(selections) if mutation else 0
    for selection in selections:
        if not selection.selections:
            continue
        size = arguments(selection, variables).get("first")
        if not isinstance(size, int):
            total += 1 + requested_cost(selection.selections, variables)
            continue
        # pageInfo is paid once per connection, not once per node
        per_node = requested_cost([s for s in selection.selections if s.name != "pageInfo"], variables)
        total += 2 + size * max(per_node, 1) + (1 if any(s.name == "pageInfo" for s in selection.selections) else 0)
    return total


def actual_cost(data: Any) -> int:
    """What the answer cost: one point per object returned, at least one."""
    if isinstance(data, list):
        return sum(actual_cost(item) for item in data)
    if isinstance(data, dict):
        return 1 + sum(actual_cost(item) for item in data.values())
    return 0


def _tokens(query: str) -> list[str]:
    """Split a search query on whitespace outside quotes; a backslash escapes the next character inside quotes."""
    tokens, current, quote, escaped = [], "", None, False
    for char in query:
        if escaped:
            current, escaped = current + char, False
            continue
        if quote and char == "\\":
            current, escaped = current + char, True
            continue
        if char in "'\"" and quote in (None, char):
            quote = None if quote else char
        if char.isspace() and quote is None:
            if current:
                tokens.append(current)
            current = ""
            continue
        current += char
    return [*tokens, current] if current else tokens


def _terms(query: str) -> list[list[str]]:
    """A search query as OR-groups of AND-terms (AND binds tighter, as in Shopify's syntax)."""
    groups: list[list[str]] = [[]]
    for token in _tokens(query):
        if token == "OR":
            groups.append([])
        elif token != "AND":
            groups[-1].append(token)
    return groups


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
    return value


def matches(query: str | None, fields: dict[str, Any]) -> bool:
    """Whether a record matches a search query such as `sku:"A" OR sku:B` or `updated_at:>='2026-01-01T00:00:00Z'`."""
    if not query:
        return True
    return any(all(_term_matches(term, fields) for term in group) for group in _terms(query.strip()) if group)


def _term_matches(term: str, fields: dict[str, Any]) -> bool:
    name, _, condition = term.partition(":")
    if name not in fields:
        raise ValueError(f"unsupported search field {name!r}")
    operator = next((op for op in (">=", "<=", ">", "<") if condition.startswith(op)), "")
    wanted, actual = _unquote(condition[len(operator) :]), fields[name]
    if isinstance(actual, datetime):
        moment = datetime.fromisoformat(wanted.replace("Z", "+00:00"))
        return {">=": actual >= moment, "<=": actual <= moment, ">": actual > moment, "<": actual < moment, "": actual == moment}[
            operator
        ]
    return actual is not None and str(actual) == wanted
