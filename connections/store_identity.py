"""Who a store is, across merchants: one store (a Shopify shop domain, a BigCommerce store hash, a shop URL) and one
Miinto shop may be connected by one merchant only, so no merchant can take over another's webhooks or orders.
"""

from __future__ import annotations


def normalize_store_identity(scope_key: str) -> str:
    """The comparable form of an adapter's `scope_key()`: lower-case, without a scheme or trailing slash."""
    value = (scope_key or "").strip().lower()
    for scheme in ("https://", "http://"):
        value = value.removeprefix(scheme)
    return value.rstrip("/")
