"""Archiving instead of deleting: a connection is deactivated and hidden, never cascaded, and can be restored.

Orders, decisions, RMAs, refunds and labels are business records: they stay, and label links keep working.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connections.models import ConnectionStatus, MiintoConnection, StoreConnection


class ArchiveConflict(Exception):
    """The archive or restore would break a rule (a store still in use, a shop connected again meanwhile); 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def miinto_connection_archive(*, connection: MiintoConnection) -> MiintoConnection:
    """Stop every flow and hide the connection; its transfers, orders, RMAs and labels are kept."""
    connection.status = ConnectionStatus.DISABLED
    connection.next_sync_at = None
    connection.archived_at = connection.archived_at or timezone.now()
    connection.save(update_fields=["status", "next_sync_at", "archived_at"])
    return connection


def miinto_connection_restore(*, connection: MiintoConnection) -> MiintoConnection:
    """Show the connection again, still disabled: the merchant activates it when ready."""
    try:
        with transaction.atomic():
            connection.archived_at = None
            connection.save(update_fields=["archived_at"])
    except IntegrityError:
        connection.refresh_from_db(fields=["archived_at"])
        raise ArchiveConflict(
            _(
                "The Miinto shop %(shop)s has been connected again since this connection was archived. "
                "Archive that connection first."
            ) % {"shop": connection.shop_id}
        ) from None
    return connection


@transaction.atomic
def store_connection_archive(*, store: StoreConnection) -> StoreConnection:
    """Hide the store; refused while a Miinto connection that is not archived still syncs with it."""
    users = list(MiintoConnection.objects.filter(store_connection=store, archived_at__isnull=True).order_by("pk"))
    if users:
        names = ", ".join(str(connection) for connection in users)
        raise ArchiveConflict(
            _(
                "The store connection %(store)s is used by the Miinto connection(s) %(connections)s. "
                "Link them to another store or archive them first."
            ) % {"store": store.name, "connections": names}
        )
    store.archived_at = store.archived_at or timezone.now()
    store.save(update_fields=["archived_at"])
    return store


def store_connection_restore(*, store: StoreConnection) -> StoreConnection:
    try:
        with transaction.atomic():
            store.archived_at = None
            store.save(update_fields=["archived_at"])
    except IntegrityError:
        store.refresh_from_db(fields=["archived_at"])
        raise ArchiveConflict(
            _("This store has been connected again since this connection was archived. Archive that connection first.")
        ) from None
    return store
