"""Clients for the outbox handlers: a Miinto client or store adapter whose calls land in the Communications log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from connections import clients
from connections.models import Direction, MiintoConnection
from connections.sync.activity import ActivityRecorder, activity_on_call
from koongo.http import PermanentError


@contextlib.contextmanager
def miinto_about(connection: MiintoConnection, subject_type: str, subject_id, operation: str) -> Iterator:
    """A Miinto client whose calls are filed under one subject; the log is written when the block ends."""
    recorder = activity_on_call(merchant=connection.merchant, direction=Direction.TO_MIINTO, connection=connection)
    with clients.miinto_client(connection, on_call=recorder) as client, recorder, recorder.about(
        subject_type, subject_id, operation=operation
    ):
        yield client


@contextlib.contextmanager
def store_about(connection: MiintoConnection, subject_type: str, subject_id, operation: str) -> Iterator:
    """The linked store's adapter, its calls filed under one subject."""
    store = connection.store_connection
    if store is None:
        raise PermanentError("no store connection is linked to this Miinto connection")
    recorder: ActivityRecorder = activity_on_call(
        merchant=connection.merchant, direction=Direction.TO_STORE, connection=connection, store_connection=store
    )
    with clients.store_adapter(store, on_call=recorder) as adapter, recorder, recorder.about(
        subject_type, subject_id, operation=operation
    ):
        yield adapter
