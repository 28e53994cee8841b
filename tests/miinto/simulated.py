"""Shared helpers for the Miinto tests: the seeded merchant's constants, a settable clock, the control API client."""

import time

import httpx

from miinto.sandbox import MiintoSimulator
from miinto.sandbox.demo import DEMO_CATALOG

USER, PASSWORD = "merchant@example.com", "pw-1"
DK, SE, CN = "1-m!i!s-045-1101", "1-m!i!s-046-1102", "1-m!i!s-086-1107"
SHOPS = [
    {"market": "DK", "localId": 1101, "name": "Copenhagen"},
    {"market": "SE", "localId": 1102, "name": "Stockholm"},
    {"market": "CN", "localId": 1107, "name": "Shanghai"},
]
# The feed rows of the demo catalog, as the control API takes them.
CATALOG = [{k: v for k, v in item.items() if k not in ("price", "stock")} for item in DEMO_CATALOG]
GTIN = [item["gtin"] for item in DEMO_CATALOG]


class Clock:
    """Real time until a test pins it; the simulator and the client share one."""

    def __init__(self):
        self.now: float | None = None

    def __call__(self) -> float:
        return time.time() if self.now is None else self.now


class Control:
    """The simulator's `/_sandbox/` API, as the demo and benchmarks call it."""

    def __init__(self, sim: MiintoSimulator):
        self.http = httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://sandbox")

    def __call__(self, method: str, path: str, body=None, expect=(200, 201)):
        response = self.http.request(method, f"/_sandbox/{path}", json=body)
        assert response.status_code in expect, response.text
        return response.json()

    def transfer(self, shop_id: str, *lines: tuple[str, int, int]) -> dict:
        """One transfer of (gtin, price in minor units, quantity) lines; returns its wire detail."""
        positions = [{"gtin": gtin, "price": price, "quantity": quantity} for gtin, price, quantity in lines]
        return self("POST", "transfers", {"shopId": shop_id, "positions": positions})["transfers"][0]
