"""Errors that adapters raise on top of koongo.http's hierarchy (TransientError, RateLimited, AuthError, PermanentError)."""

from __future__ import annotations

from koongo.http import AuthError, PermanentError


class Unsupported(PermanentError):
    """The platform lacks the capability a method needs; retrying never helps."""

    def __init__(self, platform: str, capability: str, detail: str = ""):
        message = f"{platform} does not support {capability}" + (f": {detail}" if detail else "")
        super().__init__(message, code="unsupported")
        self.platform = platform
        self.capability = capability


class MissingScope(AuthError):
    """The credentials work but lack permissions the adapter needs; `missing` names them."""

    def __init__(self, platform: str, missing: list[str] | tuple[str, ...]):
        self.missing = tuple(sorted(missing))
        super().__init__(f"{platform} credentials lack the permissions: {', '.join(self.missing)}", code="missing_scope")


class ProductNotFound(PermanentError):
    """No store product has the given identifiers."""

    def __init__(self, platform: str, attribute: str, identifiers: list[str] | tuple[str, ...]):
        self.identifiers = tuple(identifiers)
        self.attribute = attribute
        super().__init__(f"{platform} has no product with {attribute} {', '.join(self.identifiers)}", code="product_not_found")


class OrderNotFound(PermanentError):
    """The store has no order with the given id or reference."""


class WebhookRejected(Exception):
    """A webhook delivery failed verification (bad signature, stale timestamp, missing headers); answer 401."""
