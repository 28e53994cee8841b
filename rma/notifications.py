"""The merchant's e-mail digest of new pending RMAs: at most one per connection per hour, with a per-user opt-out."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from connections.models import MiintoConnection
from koongo.accounts.models import Membership
from koongo.money import money_text
from rma.configuration import rma_settings_for
from rma.models import Rma, RmaDigestOptOut, RmaSettings, RmaStatus

DIGEST_INTERVAL = timedelta(hours=1)


def digest_recipients(merchant) -> list[str]:
    """E-mail addresses of the merchant's users who have not opted out."""
    opted_out = RmaDigestOptOut.objects.filter(merchant=merchant).values_list("user_id", flat=True)
    members = Membership.objects.filter(merchant=merchant).exclude(user_id__in=list(opted_out)).select_related("user")
    return sorted({m.user.email for m in members if m.user.email})


def rma_digest_send(connection: MiintoConnection) -> int:
    """Announce the connection's pending RMAs not announced yet, unless a digest went out within the hour; returns how many."""
    now = timezone.now()
    unannounced = Rma.objects.filter(connection=connection, status=RmaStatus.PENDING, notified_at__isnull=True)
    if not unannounced.exists():
        return 0  # the common tick: nothing new to announce, so no lock and no settings read
    rma_settings_for(connection)
    with transaction.atomic():
        locked = RmaSettings.objects.select_for_update().get(connection=connection)
        if locked.last_digest_at and now - locked.last_digest_at < DIGEST_INTERVAL:
            return 0
        fresh = list(unannounced.select_related("order").order_by("created_at_miinto", "pk"))
        if not fresh:
            return 0
        Rma.objects.filter(pk__in=[r.pk for r in fresh]).update(notified_at=now)
        locked.last_digest_at = now
        locked.save(update_fields=["last_digest_at"])
        recipients = digest_recipients(connection.merchant)
        if recipients:
            transaction.on_commit(partial(_send, connection, fresh, recipients))
    return len(fresh)


def _send(connection: MiintoConnection, rmas: list[Rma], recipients: list[str]) -> None:
    lines = [
        f"- RMA {rma.miinto_id} on Miinto order {rma.order_number}: {money_text(rma.amount, rma.currency)}"
        + (f", reason: {rma.reason}" if rma.reason else "")
        for rma in rmas
    ]
    body = "\n".join(
        [
            f"{len(rmas)} new return(s) wait for your decision on {connection}:",
            "",
            *lines,
            "",
            "Accept or decline them, with a reason, on the RMA page of your dashboard.",
            "You can turn these e-mails off on the RMA page.",
        ]
    )
    subject = f"{len(rmas)} new Miinto return(s) to decide on {connection}"
    # One message per user: a shared To: list would show every colleague's address (and any opt-out's absence).
    send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient]) for recipient in recipients])
