"""Writes for RMA settings: a connection's settings row (made on first use), restocking, and the digest opt-out."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from connections.models import MiintoConnection
from rma.models import RmaDigestOptOut, RmaSettings


def rma_settings_for(connection: MiintoConnection) -> RmaSettings:
    """The connection's RMA settings, created with the defaults (restock on) the first time they are needed."""
    found = RmaSettings.objects.filter(connection=connection).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return RmaSettings.objects.create(merchant_id=connection.merchant_id, connection=connection)
    except IntegrityError:
        # Another worker made it between our read and our insert.
        return RmaSettings.objects.get(connection=connection)


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
