"""The run's remote reads, paged: Miinto's orders, decided transfers and returns of the period, and the store's orders by
reference, shipments, refunds and the stock of the in-feed items. Reads only; nothing here writes anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from koongo.http import PermanentError
from miinto.schemas import Order as WireOrder
from miinto.schemas import Return as WireReturn
from platforms.base import Capability, StoreOrderRef, StoreRefund, StoreShipment

PAGE_SIZE = 50


@dataclass
class MiintoRecords:
    """What Miinto says about the period."""

    orders: list[WireOrder] = field(default_factory=list)
    # position id -> its transfer's id, for positions Miinto shows declined (of the transfers whose details were read)
    declined: dict[int, int] = field(default_factory=dict)
    returns: list[WireReturn] = field(default_factory=list)
    returns_note: str = ""
    decided_transfers: list[int] = field(default_factory=list)  # ids of the transfers decided in the period
    order_transfers: dict[int, int] = field(default_factory=dict)  # order id -> the transfer that made it (read ones only)


@dataclass
class StoreRecords:
    """What the store says about the period's orders."""

    orders: dict[str, StoreOrderRef | None] = field(default_factory=dict)  # our reference -> the store order
    shipments: list[StoreShipment] = field(default_factory=list)
    refunds: list[StoreRefund] | None = None  # None: the platform has no refund reads
    stock: dict[str, int] = field(default_factory=dict)


class CallCounter:
    """The `on_call` hook both clients get: counts the remote calls a run makes."""

    def __init__(self):
        self.calls = 0

    def __call__(self, record) -> None:
        self.calls += 1


def in_period(when: datetime | None, start: datetime, end: datetime) -> bool:
    return when is not None and start <= when < end


def _newest_first(pages: Iterable, created, start: datetime, end: datetime) -> Iterator:
    """Items of newest-first pages created in [start, end); stops at the first page that reaches before `start`."""
    for page in pages:
        older = False
        for item in page.items:
            when = created(item)
            if when is not None and when < start:
                older = True
            elif in_period(when, start, end):
                yield item
        if older:
            return


def miinto_records(client, shop_id: str, start: datetime, end: datetime, *, returns_enabled: bool) -> MiintoRecords:
    """Miinto's side of the period, read page by page, newest first, stopping once a page reaches before the period."""
    records = MiintoRecords()
    records.orders = list(_newest_first(
        client.order_pages(shop_id, page_size=PAGE_SIZE), lambda o: o.parent_order.created_at if o.parent_order else None,
        start, end,
    ))
    decided = _newest_first(client.transfer_pages(shop_id, "decided", page_size=PAGE_SIZE), lambda t: t.created_at, start, end)
    records.decided_transfers = [t.id for t in decided]
    if not returns_enabled:
        records.returns_note = "RMA sync is off for this connection, so returns were not compared."
        return records
    try:
        records.returns = list(_newest_first(
            client.return_pages(shop_id, None, page_size=PAGE_SIZE), lambda r: r.created_at, start, end
        ))
    except PermanentError as error:
        if error.status != 422:
            raise
        records.returns_note = f"Miinto does not list returns for this shop: {error}"
    return records


def transfer_details(client, shop_id: str, records: MiintoRecords, transfer_ids: list[int]) -> None:
    """Read the named transfers one by one (only those whose details can matter): declined positions, and which transfer
    made each order."""
    for transfer_id in transfer_ids:
        detail = client.transfer(shop_id, transfer_id)
        for position in detail.positions:
            if position.status == "declined":
                records.declined[position.id] = transfer_id
        if detail.new_order is not None:
            records.order_transfers[detail.new_order.id] = transfer_id


def store_records(adapter, references: list[str], skus: list[str], start: datetime, end: datetime) -> StoreRecords:
    """The store's side: our orders by reference, its shipments and refunds since the period's start, and stock by SKU."""
    records = StoreRecords(orders=adapter.find_orders_by_reference(references))
    records.shipments = [s for s in adapter.shipments_since(start) if s.created_at < end]
    if adapter.supports(Capability.REFUND_SYNC):
        records.refunds = [r for r in adapter.refunds_since(start) if r.created_at < end]
    records.stock = adapter.stock_levels(skus) if skus else {}
    return records
