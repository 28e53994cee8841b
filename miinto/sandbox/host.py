"""What the route handlers use of the simulator, as a Protocol, so `api` and `control` need not import `app` back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from koongo.sandbox_kit import Request, Response
from miinto.sandbox.state import MiintoState


class Simulator(Protocol):
    """The parts of `miinto.sandbox.app.MiintoSimulator` that handlers read or change."""

    state: MiintoState
    seed: int
    scenario: str
    scenario_transfers: int
    label_delay: float
    token_ttl: float | None

    def reset(self, seed: int | None = None) -> None: ...

    def route(self, method: str, pattern: str, handler: Callable[[Any, Request], Response]) -> None: ...
