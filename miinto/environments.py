"""Which Miinto a connection talks to: the four base URLs of production, Miinto's sandbox, or our simulator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class MiintoEnvironment:
    """A named set of base URLs for Miinto's auth, order, stock and product-map (Product Centre) hosts."""

    name: str
    auth_url: str
    order_url: str
    stock_url: str
    product_map_url: str

    PRODUCTION: ClassVar[MiintoEnvironment]
    SANDBOX: ClassVar[MiintoEnvironment]

    def __post_init__(self):
        # Paths are appended to these, so a trailing slash would double up and break the signature's path.
        for name in ("auth_url", "order_url", "stock_url", "product_map_url"):
            object.__setattr__(self, name, getattr(self, name).rstrip("/"))

    @classmethod
    def simulator(cls, base_url: str, name: str = "simulator") -> MiintoEnvironment:
        """Our simulator on one port: each host is a path prefix (`/auth`, `/order`, `/stock`, `/pc`)."""
        base = base_url.rstrip("/")
        return cls(name, f"{base}/auth", f"{base}/order", f"{base}/stock", f"{base}/pc")

    @classmethod
    def from_setting(cls, name: str, spec: str) -> MiintoEnvironment:
        """Parse the settings form `auth|order|stock|pc` (see MIINTO_ENVIRONMENTS)."""
        urls = [url.strip() for url in spec.split("|")]
        if len(urls) != 4 or not all(urls):
            raise ValueError(f"Miinto environment {name!r} needs four URLs joined by '|': auth|order|stock|pc")
        return cls(name, *urls)


MiintoEnvironment.PRODUCTION = MiintoEnvironment(
    "production",
    "https://api-auth.miinto.net",
    "https://api-order.miinto.net",
    "https://api-stock.miinto.net",
    "https://api-pc.miinto.net",
)
# Miinto documents only the auth and order sandbox hosts; the stock and Product Centre ones follow the same pattern.
MiintoEnvironment.SANDBOX = MiintoEnvironment(
    "sandbox",
    "https://api-auth-sandbox.miinto.net",
    "https://api-order-sandbox.miinto.net",
    "https://api-stock-sandbox.miinto.net",
    "https://api-pc-sandbox.miinto.net",
)


def available_environments(
    extra: Mapping[str, str] | None = None, simulator_url: str | None = None
) -> dict[str, MiintoEnvironment]:
    """Every environment a connection may pick: the built-in ones, the simulator, and those added in settings."""
    found = {env.name: env for env in (MiintoEnvironment.PRODUCTION, MiintoEnvironment.SANDBOX)}
    if simulator_url:
        found["simulator"] = MiintoEnvironment.simulator(simulator_url)
    for name, spec in (extra or {}).items():
        found[name] = MiintoEnvironment.from_setting(name, spec)
    return found
