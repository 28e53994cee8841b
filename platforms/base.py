"""The store-adapter protocol: one abstract `StoreAdapter` whose shared mechanics every platform reuses.

Platform packages implement the `_`-prefixed hooks and hold only what differs. The typed values, capabilities,
errors and the credentials hook are re-exported here, so `from platforms.base import ...` is the one import.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar

import httpx

from koongo.coordination import Locks, MemoryBackend
from koongo.http import ApiClient, AuthError, HttpError, PermanentError, RateLimit, RateLimited, TransientError
from platforms.capabilities import DESCRIPTIONS, Capability
from platforms.credentials import FormField, StoreCredentials, system_field
from platforms.errors import MissingScope, OrderNotFound, ProductNotFound, Unsupported, WebhookRejected
from platforms.mechanics import (
    LedgerRecords,
    LedgerState,
    StockLedger,
    append_note,
    cents,
    chunked,
    gross_up,
    option_named,
    paginate,
    split_gross,
    unique,
)
from platforms.values import (
    Address,
    Attribute,
    AttributeKind,
    Money,
    OrderLine,
    RefundLine,
    RefundRequest,
    RefundResult,
    ShipmentLine,
    ShopInfo,
    StockChange,
    StockOutcome,
    StockResult,
    StoreOrderDraft,
    StoreOrderRef,
    StorePrice,
    StoreProduct,
    StoreRefund,
    StoreShipment,
    Tracking,
    WebhookEvent,
    WebhookKind,
)

__all__ = [
    "DESCRIPTIONS",
    "Address",
    "Attribute",
    "AttributeKind",
    "AuthError",
    "Capability",
    "FormField",
    "HttpError",
    "MissingScope",
    "Money",
    "OrderLine",
    "OrderNotFound",
    "PermanentError",
    "ProductNotFound",
    "RateLimited",
    "RefundLine",
    "RefundRequest",
    "RefundResult",
    "ShipmentLine",
    "ShopInfo",
    "StockChange",
    "StockOutcome",
    "StockResult",
    "StoreAdapter",
    "StoreCredentials",
    "StoreOrderDraft",
    "StoreOrderRef",
    "StorePrice",
    "StoreProduct",
    "StoreRefund",
    "StoreShipment",
    "Tracking",
    "TransientError",
    "Unsupported",
    "WebhookEvent",
    "WebhookKind",
    "WebhookRejected",
    "append_note",
    "cents",
    "chunked",
    "gross_up",
    "option_named",
    "paginate",
    "split_gross",
    "system_field",
    "unique",
]

T = TypeVar("T")
UNCONFIRMED_EARLIER = "an earlier attempt with this key was sent and its outcome is unknown"


class StoreAdapter(abc.ABC):
    """One store connection seen through the protocol. Construct it the same way for every platform:

        AdapterClass(credentials, transport=..., limiter=..., locks=..., on_call=..., sleep=...)

    `credentials` is the class's `credentials_model` (or a mapping validated into it). `locks` must be the shared
    coordination locks in production: they serialise order creation, refunds, note writes and absolute stock
    writes per order or SKU, and hold the stock ledger. Without them the adapter falls back to in-process locks,
    which suits library use and tests only.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # One sentence each, shown in the dashboard beside the capabilities: what the platform's API cannot do and what
    # the adapter does instead. Empty where nothing needs saying.
    limitations: ClassVar[tuple[str, ...]] = ()
    # Platforms that keep a refund's markers in the order's note or messages (PrestaShop, Shopware 5): their refunds
    # also hold the note lock, so a refund and a note write never interleave.
    refunds_in_notes: ClassVar[bool] = False
    credentials_model: ClassVar[type[StoreCredentials]]
    # How far before a caller's watermark the *_since listings start, so late-committed records are not missed.
    poll_overlap: ClassVar[timedelta] = timedelta(minutes=10)
    # The request budget per store when a shared limiter is injected.
    requests_per_second: ClassVar[float] = 2.0
    request_burst: ClassVar[int] = 4
    stock_lock_ttl: ClassVar[float] = 30.0
    stock_lock_timeout: ClassVar[float] = 30.0
    # The identifier attribute that holds the SKU on every platform (see each `identifier_attributes`).
    sku_attribute: ClassVar[str] = "sku"

    def __init__(
        self,
        credentials: StoreCredentials | Mapping,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter=None,
        locks: Locks | None = None,
        ledger_records: LedgerRecords | None = None,
        on_call: Callable | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not isinstance(credentials, self.credentials_model):
            credentials = self.credentials_model.model_validate(credentials)
        self.credentials = credentials
        self.transport = transport
        self.limiter = limiter
        self.locks = locks or Locks(MemoryBackend())
        self.on_call = on_call
        self.sleep = sleep
        self.scope = credentials.scope_key()
        # Durable marks from the app layer when given, so a stock change is never applied twice after Redis lost its data.
        self.ledger = StockLedger(self.locks, f"{self.code}:{self.scope}", records=ledger_records)
        self._clients: list[ApiClient] = []

    # --- construction helpers --------------------------------------------------------------------
    def rate_limit(self) -> RateLimit | None:
        """This store's share of the injected limiter, keyed by platform and store."""
        if self.limiter is None:
            return None
        return RateLimit(f"{self.code}:{self.scope}", self.requests_per_second, self.request_burst, limiter=self.limiter)

    def client_options(self) -> dict:
        """Keyword arguments for the platform's ApiClient: transport, limits, logging hook and sleep."""
        return {"transport": self.transport, "rate_limit": self.rate_limit(), "on_call": self.on_call, "sleep": self.sleep}

    def own(self, client: ApiClient) -> ApiClient:
        """Register a client so that `close()` closes it."""
        self._clients.append(client)
        return client

    @contextlib.contextmanager
    def exclusive(self, kind: str, name: str, *, ttl: float = 300.0, timeout: float = 60.0) -> Iterator[None]:
        """Hold the shared lock `<kind>:<platform>:<store>:<name>`; one still busy after `timeout` is a TransientError."""
        key = f"{kind}:{self.code}:{self.scope}:{name}"
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self.locks.wait_for(key, ttl=ttl, timeout=timeout))
            except TimeoutError as error:
                raise TransientError(f"{self.name}: another worker holds {key}", code="lock_busy") from error
            yield

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- capabilities ----------------------------------------------------------------------------
    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def require(self, capability: Capability, detail: str = "") -> None:
        """Raise `Unsupported` unless the adapter declares `capability`."""
        if capability not in self.capabilities:
            raise Unsupported(self.name, capability, detail)

    # --- connection and catalog ------------------------------------------------------------------
    @abc.abstractmethod
    def test_connection(self) -> ShopInfo:
        """The shop's facts, or an AuthError / MissingScope / TransientError saying what is wrong."""

    @abc.abstractmethod
    def identifier_attributes(self) -> list[Attribute]:
        """What a product can be identified by, for the Product Identification Attribute chooser."""

    @abc.abstractmethod
    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        """The whole catalog, variants included, fetched page by page."""

    @abc.abstractmethod
    def get_products(self, identifiers: Sequence[str], attribute: str) -> list[StoreProduct]:
        """The products whose `attribute` value is one of `identifiers`, fetched in the platform's batch size."""

    def resolve_products(self, draft: StoreOrderDraft) -> dict[str, StoreProduct]:
        """Each draft line's product by its identifier; ProductNotFound names the identifiers that match nothing."""
        attribute = draft.identifier_attribute
        # Lines whose product the catalog already knows need no store call; only the rest are looked up.
        found: dict[str, StoreProduct] = {line.identifier: line.product for line in draft.lines if line.product is not None}
        wanted = unique(line.identifier for line in draft.lines)
        unknown = [identifier for identifier in wanted if identifier not in found]
        for product in self.get_products(unknown, attribute) if unknown else ():
            value = product.identifier(attribute)
            if value is not None:
                found.setdefault(value, product)
        missing = [identifier for identifier in wanted if identifier not in found]
        if missing:
            raise ProductNotFound(self.name, attribute, missing)
        return found

    # --- orders ----------------------------------------------------------------------------------
    def create_order(self, draft: StoreOrderDraft, *, retry: bool = True) -> StoreOrderRef:
        """Create the order once: an order already carrying `draft.key` is returned instead, also after a timeout.

        `retry=False` says no earlier attempt can have reached the store, so the lookup by key is skipped; it still
        runs after an ambiguous failure (a timeout) of this attempt.
        """
        ref, _created = self.create_order_once(draft, lambda: self._create_order(draft, self.resolve_products(draft)), retry=retry)
        return ref

    def create_order_once(self, draft: StoreOrderDraft, create: Callable[[], StoreOrderRef], *, retry: bool = True) -> tuple[StoreOrderRef, bool]:
        """Run `create` under the order's lock, looked up by key first on a retry; returns the order and whether it is new."""
        # Two workers with one draft (a lease that expired mid-call) must not both miss the lookup and create: the second
        # one is a retry (its claim counted an earlier attempt), so it looks up first.
        with self.exclusive("order", draft.key):
            return self.create_idempotently(
                lookup=lambda: self.find_order_by_reference(draft.key), create=create, lookup_first=retry
            )

    @abc.abstractmethod
    def find_order_by_reference(self, reference: str) -> StoreOrderRef | None:
        """The store order carrying our external reference, or None."""

    @abc.abstractmethod
    def _create_order(self, draft: StoreOrderDraft, products: dict[str, StoreProduct]) -> StoreOrderRef:
        """Create the order (one attempt); `products` maps each line identifier to its store product."""

    def find_orders_by_reference(self, references: Sequence[str]) -> dict[str, StoreOrderRef | None]:
        """Each reference's store order (None where the store has none), looked up one by one through the platform's
        own search, so every platform answers reconciliation the same way."""
        return {reference: self.find_order_by_reference(reference) for reference in unique(references)}

    def update_order_note(self, order: StoreOrderRef, text: str) -> bool:
        """Add `text` to the order's internal note; False when the note already holds it, so retries add nothing."""
        self.require(Capability.ORDER_NOTES)
        # Most platforms overwrite the whole note, so the read and the write must not interleave with another writer.
        with self.note_lock(order):
            current = self._order_note(order)
            if text in current:
                return False
            self._add_order_note(order, current, text)
            return True

    def note_lock(self, order: StoreOrderRef):
        """The per-order lock held while an order's note (or anything kept in it) is read and rewritten."""
        return self.exclusive("note", order.id, ttl=60, timeout=30)

    def _order_note(self, order: StoreOrderRef) -> str:
        """The order's current note text (all comments joined, where notes are a list)."""
        raise NotImplementedError

    def _add_order_note(self, order: StoreOrderRef, current: str, text: str) -> None:
        """Write `text` to the order: overwriting platforms write `append_note(current, text)`."""
        raise NotImplementedError

    # --- stock -----------------------------------------------------------------------------------
    def adjust_stock(self, changes: Sequence[StockChange]) -> list[StockResult]:
        """Apply each change once and report it as applied, already applied, ambiguous or failed.

        Relative platforms send the delta. Absolute ones read, add and write under the per-SKU lock
        `stock:<code>:<store>:<sku>`, so concurrent changes never lose an update. A change whose write was sent
        but not confirmed is AMBIGUOUS, and stays so on every later call with its key, unless the store dedupes
        by our key (IDEMPOTENT_STOCK), where resending is safe.
        """
        return [self._adjust_one_locked(change) for change in changes]

    def _adjust_one_locked(self, change: StockChange) -> StockResult:
        try:
            return self._adjust_one(change)
        except TimeoutError:
            # A lock stayed busy: nothing was sent for this change, so it can simply be retried.
            return StockResult(
                key=change.key, sku=change.sku, outcome=StockOutcome.FAILED, error="a stock lock stayed busy", retryable=True
            )

    def _adjust_one(self, change: StockChange) -> StockResult:
        with self.ledger.guard(change.key):
            state = self.ledger.state(change.key)
            if state is LedgerState.DONE:
                return StockResult(key=change.key, sku=change.sku, outcome=StockOutcome.ALREADY_APPLIED)
            if state is LedgerState.SENT and not self.supports(Capability.IDEMPOTENT_STOCK):
                return self._ambiguous(change, UNCONFIRMED_EARLIER)
            if self.supports(Capability.RELATIVE_STOCK):
                return self._send_stock_write(change, lambda: self._stock_delta(change))
            lock = f"stock:{self.code}:{self.scope}:{change.sku}"
            with self.locks.wait_for(lock, ttl=self.stock_lock_ttl, timeout=self.stock_lock_timeout):
                try:
                    current = self._stock_read(change.sku)
                except HttpError as error:
                    return self._stock_failed(change, error)
                target = current + change.delta
                return self._send_stock_write(change, lambda: self._stock_write(change.sku, target, change))

    def _send_stock_write(self, change: StockChange, write: Callable[[], int | None]) -> StockResult:
        self.ledger.mark_sent(change.key)
        resend_safe = self.supports(Capability.IDEMPOTENT_STOCK)
        attempts = 2 if resend_safe else 1
        for attempt in range(1, attempts + 1):
            try:
                quantity = write()
            except RateLimited as error:
                self.ledger.forget_sent(change.key)
                return self._stock_failed(change, error)
            except TransientError as error:
                if attempt < attempts:
                    continue  # the store dedupes this key, so sending it again cannot apply it twice
                if resend_safe:
                    return self._stock_failed(change, error, retryable=True)
                return self._ambiguous(change, f"the write was sent and not confirmed: {error}")
            except HttpError as error:
                self.ledger.forget_sent(change.key)
                return self._stock_failed(change, error)
            self.ledger.mark_done(change.key)
            return StockResult(key=change.key, sku=change.sku, outcome=StockOutcome.APPLIED, quantity=quantity)
        raise AssertionError("unreachable")

    @staticmethod
    def _ambiguous(change: StockChange, why: str) -> StockResult:
        return StockResult(key=change.key, sku=change.sku, outcome=StockOutcome.AMBIGUOUS, error=why)

    @staticmethod
    def _stock_failed(change: StockChange, error: HttpError, *, retryable: bool | None = None) -> StockResult:
        if retryable is None:
            retryable = isinstance(error, TransientError)
        return StockResult(
            key=change.key,
            sku=change.sku,
            outcome=StockOutcome.FAILED,
            error=str(error),
            retryable=retryable,
            retry_after=getattr(error, "retry_after", None),
        )

    def adjust_stock_in_batches(self, changes: Sequence[StockChange], batch_size: int) -> list[StockResult]:
        """`adjust_stock` for absolute platforms with a batch write: the same guarantees, one read and one write per batch.

        A batch holds distinct keys and SKUs (repeats wait for a later batch, so they apply in order). It takes the
        ledger guards by key, then the per-SKU locks by SKU, both sorted, so concurrent batches cannot deadlock.
        A batch write that times out leaves every change in it AMBIGUOUS; items the store refused fail alone.
        """
        results: dict[int, StockResult] = {}
        pending = list(enumerate(changes))
        while pending:
            batch, later, keys, skus = [], [], set(), set()
            for index, change in pending:
                if len(batch) < batch_size and change.key not in keys and change.sku not in skus:
                    batch.append((index, change))
                    keys.add(change.key)
                    skus.add(change.sku)
                else:
                    later.append((index, change))
            try:
                results.update(self._adjust_batch(batch))
            except TimeoutError:
                # A lock stayed busy: nothing of this batch was sent, so each of its changes can simply be retried.
                results.update(
                    {
                        index: StockResult(
                            key=change.key,
                            sku=change.sku,
                            outcome=StockOutcome.FAILED,
                            error="a stock lock stayed busy",
                            retryable=True,
                        )
                        for index, change in batch
                    }
                )
            pending = later
        return [results[index] for index in range(len(changes))]

    def _adjust_batch(self, batch: list[tuple[int, StockChange]]) -> dict[int, StockResult]:
        results: dict[int, StockResult] = {}
        with contextlib.ExitStack() as held:
            for key in sorted(change.key for _, change in batch):
                held.enter_context(self.ledger.guard(key))
            todo = []
            for index, change in batch:
                state = self.ledger.state(change.key)
                if state is LedgerState.DONE:
                    results[index] = StockResult(key=change.key, sku=change.sku, outcome=StockOutcome.ALREADY_APPLIED)
                elif state is LedgerState.SENT:
                    results[index] = self._ambiguous(change, UNCONFIRMED_EARLIER)
                else:
                    todo.append((index, change))
            if not todo:
                return results
            for sku in sorted(change.sku for _, change in todo):
                held.enter_context(
                    self.locks.wait_for(
                        f"stock:{self.code}:{self.scope}:{sku}", ttl=self.stock_lock_ttl, timeout=self.stock_lock_timeout
                    )
                )
            try:
                current = self._stock_read_many([change.sku for _, change in todo])
            except HttpError as error:
                return results | {index: self._stock_failed(change, error) for index, change in todo}
            for index, change in todo:
                if change.sku not in current:
                    results[index] = self._stock_failed(change, ProductNotFound(self.name, "sku", [change.sku]))
            todo = [(index, change) for index, change in todo if change.sku in current]
            if todo:
                results |= self._write_batch(todo, {change.sku: current[change.sku] + change.delta for _, change in todo})
        return results

    def _write_batch(self, todo: list[tuple[int, StockChange]], targets: dict[str, int]) -> dict[int, StockResult]:
        for _, change in todo:
            self.ledger.mark_sent(change.key)
        try:
            refused = self._stock_write_many(targets)
        except TransientError as error:
            if isinstance(error, RateLimited):
                for _, change in todo:
                    self.ledger.forget_sent(change.key)
                return {index: self._stock_failed(change, error) for index, change in todo}
            why = f"the batch write was sent and not confirmed: {error}"
            return {index: self._ambiguous(change, why) for index, change in todo}
        except HttpError as error:
            for _, change in todo:
                self.ledger.forget_sent(change.key)
            return {index: self._stock_failed(change, error) for index, change in todo}
        results = {}
        for index, change in todo:
            if change.sku in refused:
                self.ledger.forget_sent(change.key)
                results[index] = self._stock_failed(change, refused[change.sku])
            else:
                self.ledger.mark_done(change.key)
                results[index] = StockResult(
                    key=change.key, sku=change.sku, outcome=StockOutcome.APPLIED, quantity=targets[change.sku]
                )
        return results

    def _stock_read_many(self, skus: list[str]) -> dict[str, int]:
        """Batched absolute platforms: the current quantity of each SKU the store knows (unknown ones are left out)."""
        raise NotImplementedError

    def _stock_write_many(self, quantities: dict[str, int]) -> dict[str, HttpError]:
        """Batched absolute platforms: write every quantity in one call; return the SKUs the store refused, with why."""
        raise NotImplementedError

    def _stock_delta(self, change: StockChange) -> int | None:
        """Relative platforms: send the delta (one attempt); return the quantity after, where the store says."""
        raise NotImplementedError

    def _stock_read(self, sku: str) -> int:
        """Absolute platforms: the current quantity, read under the per-SKU lock."""
        raise NotImplementedError

    def _stock_write(self, sku: str, quantity: int, change: StockChange) -> int | None:
        """Absolute platforms: write the new quantity (one attempt) under the per-SKU lock."""
        raise NotImplementedError

    def stock_levels(self, skus: Sequence[str], batch_size: int = 50) -> dict[str, int]:
        """The store's current quantity of each SKU it knows, read in batches through `get_products`; unknown SKUs and
        untracked items (no quantity) are left out; an item whose stock could not be read fails the whole read."""
        levels: dict[str, int] = {}
        for batch in chunked(unique(skus), batch_size):
            for product in self.get_products(batch, self.sku_attribute):
                sku = product.identifier(self.sku_attribute) or product.sku
                if product.stock_unknown:
                    raise TransientError(f"{self.name} could not tell the stock of {sku}")
                if sku is not None and product.stock is not None:
                    levels.setdefault(sku, product.stock)
        return levels

    # --- shipments -------------------------------------------------------------------------------
    def window_start(self, since: datetime) -> datetime:
        """Where a *_since listing starts: the caller's watermark minus the overlap; the caller dedupes by id."""
        if since.tzinfo is None:
            raise ValueError("watermarks must be timezone-aware")
        return since - self.poll_overlap

    def shipments_since(self, since: datetime) -> list[StoreShipment]:
        """Shipments created or updated in the store from `since` minus the overlap, with their tracking."""
        return self._shipments_since(self.window_start(since))

    @abc.abstractmethod
    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        """Shipments created or updated at or after `start`."""

    # --- refunds ---------------------------------------------------------------------------------
    def create_refund(self, request: RefundRequest) -> RefundResult:
        """Create the refund once: a refund already carrying `request.key` is returned with `created=False`.

        Where the refund call cannot restock (no REFUND_RESTOCK), a request with `restock` returns the refunded
        items to stock afterwards through `restock_refund`, reported in `RefundResult.restocked`.
        """
        self.require(Capability.REFUND_SYNC)
        with self.refund_lock(request.order):
            refund, created = self.create_idempotently(
                lookup=lambda: self._find_refund(request),
                create=lambda: self._create_refund(request),
                resend_safe=self.supports(Capability.IDEMPOTENT_REFUNDS),
            )
        result = RefundResult(refund=refund, created=created)
        if request.restock and not self.supports(Capability.REFUND_RESTOCK):
            result = self.restock_refund(request, result)
        return result

    @contextlib.contextmanager
    def refund_lock(self, order: StoreOrderRef) -> Iterator[None]:
        """The per-order locks held while a refund is looked up and created.

        One refund per order at a time (`refund:<code>:<store>:<order>`): some stores (BigCommerce) corrupt
        concurrent refunds on one order. Where `refunds_in_notes`, the note lock is taken first as well.
        Neither lock is reentrant: an adapter must not take them again around `create_refund`.
        """
        with contextlib.ExitStack() as held:
            if self.refunds_in_notes:
                held.enter_context(self.note_lock(order))
            held.enter_context(self.exclusive("refund", order.id))
            yield

    def refunds_since(self, since: datetime) -> list[StoreRefund]:
        """Refunds created from `since` minus the overlap, ours marked by `origin_key`; the caller dedupes by id."""
        self.require(Capability.REFUND_SYNC)
        return self._refunds_since(self.window_start(since))

    def restock_refund(self, request: RefundRequest, result: RefundResult) -> RefundResult:
        """Return a refund's lines to stock through `adjust_stock`, for platforms whose refunds move no stock.

        `create_refund` calls it for adapters without REFUND_RESTOCK. Each SKU's change is keyed
        `<refund key>:restock:<sku>`, so a retried refund restocks once (ALREADY_APPLIED), and an ambiguous
        restock is reported in `result.restocked` for a human instead of being sent again.
        """
        if not request.restock:
            return result
        quantities: dict[str, int] = {}
        for line in result.refund.lines:
            if line.sku:
                quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
        changes = [
            StockChange(key=f"{request.key}:restock:{sku}", sku=sku, delta=quantity, reason=f"refund {request.key}")
            for sku, quantity in quantities.items()
        ]
        return result.model_copy(update={"restocked": tuple(self.adjust_stock(changes))})

    def _find_refund(self, request: RefundRequest) -> StoreRefund | None:
        """The refund on the request's order that carries `request.key`, or None."""
        raise NotImplementedError

    def _create_refund(self, request: RefundRequest) -> StoreRefund:
        """Create the refund (one attempt)."""
        raise NotImplementedError

    def _refunds_since(self, start: datetime) -> list[StoreRefund]:
        """Refunds created at or after `start`."""
        raise NotImplementedError

    # --- webhooks --------------------------------------------------------------------------------
    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The verified event of a delivery; raises WebhookRejected when the signature does not hold."""
        self.require(Capability.WEBHOOKS)
        return self._verify_webhook({key.lower(): value for key, value in headers.items()}, body)

    def _verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        """Verify a delivery; `headers` have lower-case names."""
        raise NotImplementedError

    # --- idempotent creation ---------------------------------------------------------------------
    @staticmethod
    def create_idempotently(
        lookup: Callable[[], T | None], create: Callable[[], T], *, resend_safe: bool = False, lookup_first: bool = True
    ) -> tuple[T, bool]:
        """Look up, else create; after a timeout look up again, then resend only where the store dedupes by key.

        Returns the object and whether this call created it. If nothing is found after a timeout the
        TransientError propagates, and the caller's retry starts with the lookup again.
        """
        found = lookup() if lookup_first else None
        if found is not None:
            return found, False
        try:
            return create(), True
        except RateLimited:
            raise
        except TransientError as first:
            # The store may have applied the request before the timeout hit.
            found = lookup()
            if found is not None:
                return found, True
            if not resend_safe:
                raise
            try:
                return create(), True
            except RateLimited:
                raise
            except TransientError:
                raise first from None
