"""Writes for RMA settings: a connection's settings row (made on first use), restocking, and the digest opt-out."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from connections.models import MiintoConnection
from rma.models import RmaDigestOptOut, RmaSettings


def rma_settings_for(connection: MiintoConnection) -> RmaSettings:
    """The connection's RMA settings, created with the defaults (restock on) the first time they are needed.

    Kept on the connection instance once read: a tick's rma and refunds flows share one instance, so one read serves both.
    """
    found = MiintoConnection.rma_settings.related.get_cached_value(connection, default=None)
    if found is None:
        found = RmaSettings.objects.filter(connection=connection).first()
    if found is None:
        try:
            with transaction.atomic():
                found = RmaSettings.objects.create(merchant_id=connection.merchant_id, connection=connection)
        except IntegrityError:
            # Another worker made it between our read and our insert.
            found = RmaSettings.objects.get(connection=connection)
    connection.rma_settings = found
    return found



@transaction.atomic
def rma_settings_update(*, connection: MiintoConnection, restock_refunds: bool) -> RmaSettings:
    settings = rma_settings_for(connection)
    settings.restock_refunds = restock_refunds
    settings.save(update_fields=["restock_refunds"])
    return settings


@transaction.atomic
def digest_opt_out_set(*, merchant, user, opted_out: bool) -> bool:
    """Stop (or resume) the e-mail digest of new pending RMAs for one user of the merchant; returns the new state."""
    if opted_out:
        RmaDigestOptOut.objects.get_or_create(merchant=merchant, user=user)
    else:
        RmaDigestOptOut.objects.filter(merchant=merchant, user=user).delete()
    return opted_out
