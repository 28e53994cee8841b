"""The Communications log: record activity entries, turn outbound `CallRecord`s into them in batches, prune old ones."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import ActivityEntry, Direction
from koongo.http import CallRecord, redact_json

PAYLOAD_EXCERPT_LIMIT = 4000
DEFAULT_RETENTION_DAYS = 90
AUTH_REFUSED_STATUSES = (401, 403)


def payload_excerpt(value, *, limit: int = PAYLOAD_EXCERPT_LIMIT, parsed: bool = False):
    """A redacted JSON value small enough to keep; larger ones become a truncated text excerpt.

    `parsed`: the value is already redacted and JSON-native (a `CallRecord`'s bodies), so it is only measured.
    """
    if value is None:
        return None
    if not parsed:
        value = redact_json(value)
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= limit:
        # Normalised (e.g. Decimal and dates as strings) so JSONField accepts it; parsed JSON is normal already.
        return value if parsed else json.loads(text)
    return {"truncated": True, "excerpt": text[:limit]}


def activity_record(
    *,
    merchant,
    direction: str,
    operation: str,
    connection=None,
    store_connection=None,
    run=None,
    subject_type: str = "",
    subject_id: str | int = "",
    ok: bool = True,
    http_status: int | None = None,
    duration_ms: int = 0,
    correlation_id: str = "",
    method: str = "",
    url: str = "",
    payload=None,
    error: str = "",
) -> ActivityEntry:
    """Write one entry, in the caller's transaction (services log the activity with the change it describes)."""
    return ActivityEntry.objects.create(
        merchant=merchant,
        direction=Direction(direction),
        operation=operation[:100],
        connection=connection,
        store_connection=store_connection,
        run=run,
        subject_type=subject_type[:40],
        subject_id=str(subject_id)[:64],
        ok=ok,
        http_status=http_status,
        duration_ms=duration_ms,
        correlation_id=correlation_id[:64],
        method=method[:10],
        url=url[:500],
        payload=payload_excerpt(payload),
        error=error,
    )


class ActivityRecorder:
    """An `on_call` hook for API clients: each `CallRecord` becomes an ActivityEntry, written in batches.

    Use it as a context manager (or call `flush()`), so the last partial batch is written too. Calls made
    inside `about(subject_type, subject_id)` are filed under that subject, e.g. the order being pushed.
    """

    def __init__(
        self,
        *,
        merchant_id: int,
        direction: str,
        connection_id: int | None = None,
        store_connection_id: int | None = None,
        run_id: int | None = None,
        correlation_id: str | None = None,
        batch_size: int = 50,
    ):
        self.merchant_id = merchant_id
        self.direction = Direction(direction)
        self.connection_id = connection_id
        self.store_connection_id = store_connection_id
        self.run_id = run_id
        self.correlation_id = correlation_id or uuid.uuid4().hex[:16]
        self.batch_size = batch_size
        self.subject_type = ""
        self.subject_id = ""
        self.operation = ""
        self.last_auth_refusal: float | None = None  # monotonic time of the latest 401/403, to tell who refused
        self._pending: list[ActivityEntry] = []

    def __call__(self, record: CallRecord) -> None:
        if record.status in AUTH_REFUSED_STATUSES:
            self.last_auth_refusal = time.monotonic()
        self._pending.append(self._entry(record))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def _entry(self, record: CallRecord) -> ActivityEntry:
        ok = record.error is None and record.status is not None and record.status < 400
        return ActivityEntry(
            merchant_id=self.merchant_id,
            connection_id=self.connection_id,
            store_connection_id=self.store_connection_id,
            run_id=self.run_id,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            direction=self.direction,
            operation=(self.operation or f"{record.method} {httpx.URL(record.url).path}")[:100],
            ok=ok,
            http_status=record.status,
            duration_ms=max(0, record.duration_ms),
            correlation_id=self.correlation_id,
            method=record.method[:10],
            url=record.url[:500],
            # The client redacted the bodies it parsed when it recorded the call (koongo.http.redact_body).
            payload=payload_excerpt({"request": record.request_body, "response": record.response_body}, parsed=True),
            error=record.error or "",
            created_at=timezone.now(),
        )

    @contextlib.contextmanager
    def about(
        self, subject_type: str, subject_id: str | int, *, operation: str = "", correlation_id: str | None = None
    ) -> Iterator[None]:
        """File the calls made inside under one subject (and operation name), with their own correlation id."""
        saved = (self.subject_type, self.subject_id, self.operation, self.correlation_id)
        self.subject_type, self.subject_id, self.operation = subject_type[:40], str(subject_id)[:64], operation
        self.correlation_id = correlation_id or uuid.uuid4().hex[:16]
        try:
            yield
        finally:
            self.subject_type, self.subject_id, self.operation, self.correlation_id = saved

    def flush(self) -> int:
        """Write the buffered entries in one bulk insert; returns how many."""
        pending, self._pending = self._pending, []
        if pending:
            ActivityEntry.objects.bulk_create(pending)
        return len(pending)

    def __enter__(self) -> ActivityRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()


def activity_on_call(
    *,
    merchant,
    direction: str,
    connection=None,
    store_connection=None,
    run=None,
    correlation_id: str | None = None,
    batch_size: int = 50,
) -> ActivityRecorder:
    """An `on_call` hook for an API client that logs every call it makes for this merchant."""
    return ActivityRecorder(
        merchant_id=merchant.pk,
        direction=direction,
        connection_id=connection.pk if connection else None,
        store_connection_id=store_connection.pk if store_connection else None,
        run_id=run.pk if run else None,
        correlation_id=correlation_id,
        batch_size=batch_size,
    )


def retention_days() -> int:
    return int(getattr(settings, "ACTIVITY_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def activity_prune(*, days: int | None = None, batch_size: int = 5000) -> int:
    """Delete entries older than the retention period, in batches so no single statement locks the table for long."""
    cutoff = timezone.now() - timedelta(days=retention_days() if days is None else days)
    deleted = 0
    # A beat sweeper across every merchant: an allowed place for scopes_disabled.
    with scopes_disabled():
        while True:
            with transaction.atomic():
                pks = list(ActivityEntry.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
                if not pks:
                    return deleted
                deleted += ActivityEntry.objects.filter(pk__in=pks).delete()[0]
