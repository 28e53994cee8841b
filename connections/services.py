"""Writes for connections: create, test, activate, pause and configure Miinto and store connections."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from connections.models import MiintoConnection


@transaction.atomic
def miinto_connection_pause(*, connection: MiintoConnection, reason: str) -> MiintoConnection:
    """Stop syncing until someone fixes the cause (e.g. refused credentials); the reason is shown everywhere."""
    MiintoConnection.objects.filter(pk=connection.pk).update(paused_at=timezone.now(), paused_reason=reason[:1000])
    connection.refresh_from_db(fields=["paused_at", "paused_reason"])
    return connection


@transaction.atomic
def miinto_connection_unpause(*, connection: MiintoConnection) -> MiintoConnection:
    MiintoConnection.objects.filter(pk=connection.pk).update(paused_at=None, paused_reason="", next_sync_at=timezone.now())
    connection.refresh_from_db(fields=["paused_at", "paused_reason", "next_sync_at"])
    return connection
