"""An in-memory adapter for testing the protocol's shared mechanics without any platform or simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

from pydantic import SecretStr

from koongo.http import AuthError
from platforms.base import (
    Attribute,
    AttributeKind,
    Capability,
    ShopInfo,
    StockChange,
    StoreAdapter,
    StoreCredentials,
    StoreOrderDraft,
    StoreOrderRef,
    StoreProduct,
    StoreShipment,
    system_field,
)


class FakeCredentials(StoreCredentials):
    store: str
    api_key: SecretStr
    installed_by: str | None = system_field()

    def scope_key(self) -> str:
        return self.store


class FakeStore:
    """Stock and notes in memory; `script` holds exceptions to raise on the next writes, before or after applying."""

    def __init__(self, stock: dict[str, int], read_delay: float = 0.0):
        self.stock = dict(stock)
        self.notes: dict[str, str] = {}
        self.read_delay = read_delay
        self.script: list[tuple[str, Exception]] = []
        self.writes: list[tuple[str, int]] = []
        self.seen_keys: set[str] = set()
        self.mutex = threading.Lock()

    def _scripted(self, when: str) -> Exception | None:
        if self.script and self.script[0][0] == when:
            return self.script.pop(0)[1]
        return None


class AbsoluteAdapter(StoreAdapter):
    code = "fake_absolute"
    name = "Fake Absolute"
    capabilities = frozenset({Capability.ORDER_NOTES})
    credentials_model = FakeCredentials
    stores: dict[str, FakeStore] = {}

    @property
    def store(self) -> FakeStore:
        return self.stores[self.credentials.store]

    def test_connection(self) -> ShopInfo:
        if self.credentials.api_key.get_secret_value() != "good":
            raise AuthError(f"{self.name} refused the key", status=401)
        return ShopInfo(name="Fake", currency="EUR", prices_include_tax=True)

    def identifier_attributes(self) -> list[Attribute]:
        return [Attribute(code="sku", label="SKU", kind=AttributeKind.SKU)]

    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        for sku in self.store.stock:
            yield StoreProduct(product_id=sku, sku=sku, identifiers={"sku": sku}, title=sku, stock=self.store.stock[sku])

    def get_products(self, identifiers, attribute):
        return [product for product in self.iter_products() if product.sku in identifiers]

    def find_order_by_reference(self, reference):
        return None

    def _create_order(self, draft: StoreOrderDraft, products) -> StoreOrderRef:
        return StoreOrderRef(id="1", reference=draft.key)

    def _order_note(self, order: StoreOrderRef) -> str:
        return self.store.notes.get(order.id, "")

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        self.store.notes[order.id] = f"{current}\n{text}".strip()

    def _stock_read(self, sku: str) -> int:
        error = self.store._scripted("read")
        if error:
            raise error
        value = self.store.stock[sku]
        time.sleep(self.store.read_delay)  # a window in which an unlocked writer would interleave
        return value

    def _stock_write(self, sku: str, quantity: int, change: StockChange) -> int:
        error = self.store._scripted("before")
        if error:
            raise error
        self.store.stock[sku] = quantity
        self.store.writes.append((sku, quantity))
        error = self.store._scripted("after")
        if error:
            raise error
        return quantity

    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        return []


class RelativeAdapter(AbsoluteAdapter):
    """Relative stock, and the store dedupes writes by key (as Shopify's @idempotent does)."""

    code = "fake_relative"
    name = "Fake Relative"
    capabilities = frozenset({Capability.RELATIVE_STOCK, Capability.IDEMPOTENT_STOCK})

    def _stock_delta(self, change: StockChange) -> int:
        error = self.store._scripted("before")
        if error:
            raise error
        if change.key not in self.store.seen_keys:
            self.store.seen_keys.add(change.key)
            self.store.stock[change.sku] += change.delta
            self.store.writes.append((change.sku, change.delta))
        error = self.store._scripted("after")
        if error:
            raise error
        return self.store.stock[change.sku]
