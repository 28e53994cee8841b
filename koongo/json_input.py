"""Untrusted JSON in: parse it, then refuse what would hurt later (deep nesting, NUL characters) with a message.

Python's parser raises RecursionError near 1,000 levels and PostgreSQL refuses NUL in text; both used to surface
as 500s. One parser for the API and the webhook receivers (through `koongo.middleware.UntrustedInputGuard`).
"""

from __future__ import annotations

import json

MAX_DEPTH = 64  # far beyond any payload the API or a platform sends; deep enough never to matter to a client


class JSONInputError(ValueError):
    """The body is not JSON this service accepts; `str()` is the message for the client."""


def contains_nul(text: str) -> bool:
    return "\x00" in text


def parse_untrusted_json(raw: bytes | str) -> object:
    """The parsed body, or JSONInputError for invalid JSON, nesting deeper than MAX_DEPTH, or a NUL character."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text)
    except UnicodeDecodeError as error:
        raise JSONInputError("The body is not valid UTF-8.") from error
    except RecursionError as error:
        raise JSONInputError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted.") from error
    except ValueError as error:
        raise JSONInputError(f"The body is not valid JSON: {error}.") from error
    _check(value)
    return value


def _check(value: object) -> None:
    # Iterative, so the check itself cannot overflow the stack.
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            if contains_nul(node):
                raise JSONInputError("Strings may not contain NUL (\\u0000) characters.")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise JSONInputError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted.")
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        pending.extend((child, depth + 1) for child in children)
