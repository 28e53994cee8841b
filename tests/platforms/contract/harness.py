"""One platform under contract: its simulator in-process, a transport that scripts timeouts, and adapter factories."""

from __future__ import annotations

from dataclasses import dataclass, field

from koongo.coordination import Locks, MemoryBackend
from koongo.sandbox_kit import Faults, FaultyTransport, StoreSandboxApp, wsgi_transport
from platforms import registry
from platforms.base import Capability, StoreAdapter


@dataclass
class StoreHarness:
    code: str
    app: StoreSandboxApp
    transport: FaultyTransport
    locks: Locks = field(default_factory=lambda: Locks(MemoryBackend()))
    sleeps: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, code: str, seed: int = 1) -> StoreHarness:
        app = registry.sandbox_class(code)(seed)
        return cls(code, app, wsgi_transport(app))

    @property
    def adapter_class(self) -> type[StoreAdapter]:
        return registry.adapter_class(self.code)

    def supports(self, capability: Capability) -> bool:
        return capability in self.adapter_class.capabilities

    def adapter(self, credentials: dict | None = None, **options) -> StoreAdapter:
        """An adapter on the demo account; each call builds a new one, sharing locks as workers do."""
        options = {"transport": self.transport, "locks": self.locks, "sleep": self.sleeps.append, **options}
        return self.adapter_class(credentials or self.app.demo_credentials(), **options)

    def time_out(self, operation: str, *, after: bool = True, times: int = 1) -> None:
        """Make the next `times` requests performing `operation` time out, after (or before) the store applied them."""
        self.transport.match = lambda request: self.app.operation_of(request) == operation
        if after:
            self.transport.timeout_after = times
        else:
            self.transport.timeout_before = times

    def faults(self, **settings) -> None:
        self.app.faults = Faults(**{**self.app.faults.public(), **settings})

    @property
    def currency(self) -> str:
        return self.app.shop_facts()["currency"]
