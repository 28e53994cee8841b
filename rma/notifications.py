"""The merchant's e-mail digest of new pending RMAs: at most one per connection per hour, with a per-user opt-out."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connections.models import MiintoConnection
from koongo.accounts.mail import member_addresses, send_in_their_languages
from koongo.accounts.models import Membership
from koongo.money import money_text
from rma.configuration import rma_settings_for
from rma.models import Rma, RmaDigestOptOut, RmaSettings, RmaStatus

DIGEST_INTERVAL = timedelta(hours=1)


def digest_recipients(merchant) -> list[tuple[str, str]]:
    """(e-mail, saved language) of the merchant's users who have not opted out."""
    opted_out = RmaDigestOptOut.objects.filter(merchant=merchant).values_list("user_id", flat=True)
    return member_addresses(Membership.objects.filter(merchant=merchant).exclude(user_id__in=opted_out))


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


def _line(rma: Rma) -> str:
    """One RMA of the digest; the buyer's reason is Miinto's text, quoted as it came."""
    values = {"id": rma.miinto_id, "order": rma.order_number, "amount": money_text(rma.amount, rma.currency), "reason": rma.reason}
    if rma.reason:
        return _("- RMA %(id)s on Miinto order %(order)s: %(amount)s, reason: %(reason)s") % values
    return _("- RMA %(id)s on Miinto order %(order)s: %(amount)s") % values


def digest_message(connection: MiintoConnection, rmas: list[Rma]) -> tuple[str, str]:
    """The digest's subject and body, in the active language (amounts in its locale)."""
    values = {"count": len(rmas), "connection": connection}
    body = "\n".join(
        [
            ngettext(
                "%(count)s new return waits for your decision on %(connection)s:",
                "%(count)s new returns wait for your decision on %(connection)s:",
                len(rmas),
            )
            % values,
            "",
            *[_line(rma) for rma in rmas],
            "",
            _("Accept or decline them, with a reason, on the RMA page of your dashboard."),
            _("You can turn these e-mails off on the RMA page."),
        ]
    )
    subject = ngettext(
        "%(count)s new Miinto return to decide on %(connection)s", "%(count)s new Miinto returns to decide on %(connection)s", len(rmas)
    ) % values
    return subject, body


def _send(connection: MiintoConnection, rmas: list[Rma], recipients: list[tuple[str, str]]) -> None:
    # One message per user: a shared To: list would show every colleague's address (and any opt-out's absence).
    send_in_their_languages(recipients, partial(digest_message, connection, rmas), one_each=True)
