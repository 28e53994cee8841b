"""The stale-connection alert: an active connection with no successful run for 3× its interval, or whose Miinto
credentials keep being refused, gets a banner, an e-mail to the owners (once, a reminder every 24 h) and a webhook event.

Manual and plan pauses are the merchant's own choice, so they never alert; a pause for refused credentials does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from connections import events as connection_events
from connections.models import ConnectionStatus, MiintoConnection, PauseSource
from koongo.accounts.mail import member_addresses, send_in_their_languages
from koongo.accounts.models import Membership, Role

STALE_FACTOR = 3
REMINDER_AFTER = timedelta(hours=24)
QUIET_PAUSES = (PauseSource.MANUAL, PauseSource.PLAN)


def last_success(connection: MiintoConnection) -> datetime | None:
    """The latest successful run of any flow (from `last_synced`), or None when no flow ever succeeded."""
    times = [parse_datetime(value) for value in (connection.last_synced or {}).values() if value]
    return max((t for t in times if t is not None), default=None)


def stale_verdict(connection: MiintoConnection, now: datetime) -> tuple[datetime, str] | None:
    """(stale since, why) for a stale connection, None for a healthy one or one paused on purpose."""
    if connection.is_paused:
        if connection.paused_source in QUIET_PAUSES:
            return None
        return connection.paused_at, f"Paused since {connection.paused_at:%Y-%m-%d %H:%M} UTC: {connection.paused_reason}"
    allowed = timedelta(minutes=connection.sync_interval_minutes * STALE_FACTOR)
    since = last_success(connection)
    baseline = since or connection.created_at
    if now - baseline <= allowed:
        return None
    if since is None:
        return baseline + allowed, f"No flow has synced successfully since the connection was created ({allowed} ago or more)."
    return since + allowed, f"No successful sync since {since:%Y-%m-%d %H:%M} UTC (more than {STALE_FACTOR}× the {connection.sync_interval_minutes}-minute interval)."


def stale_check(now: datetime | None = None) -> dict[str, int]:
    """Flag, remind and clear across merchants (a beat task: an allowed place for scopes_disabled); returns counts."""
    now = now or timezone.now()
    counts = {"flagged": 0, "reminded": 0, "cleared": 0}
    with scopes_disabled():
        connections = list(
            MiintoConnection.objects.filter(status=ConnectionStatus.ACTIVE, archived_at__isnull=True).select_related("merchant")
        )
        for connection in connections:
            verdict = stale_verdict(connection, now)
            if verdict is None:
                if connection.stale_since is not None:
                    _clear(connection)
                    counts["cleared"] += 1
                continue
            if connection.stale_since is None:
                _flag(connection, *verdict, now)
                counts["flagged"] += 1
            elif connection.stale_notified_at is None or now - connection.stale_notified_at >= REMINDER_AFTER:
                _remind(connection, now)
                counts["reminded"] += 1
        # Archived or deactivated connections are not stale: their flag goes.
        counts["cleared"] += MiintoConnection.objects.filter(stale_since__isnull=False).exclude(
            pk__in=[c.pk for c in connections]
        ).update(stale_since=None, stale_reason="", stale_notified_at=None)
    return counts


@transaction.atomic
def _flag(connection: MiintoConnection, since: datetime, reason: str, now: datetime) -> None:
    connection.stale_since, connection.stale_reason, connection.stale_notified_at = since, reason, now
    connection.last_success_at = last_success(connection)
    connection.save(update_fields=["stale_since", "stale_reason", "stale_notified_at"])
    connection_events.connection_stale(connection)
    _mail(connection, reminder=False)


@transaction.atomic
def _remind(connection: MiintoConnection, now: datetime) -> None:
    connection.stale_notified_at = now
    connection.save(update_fields=["stale_notified_at"])
    _mail(connection, reminder=True)


def _clear(connection: MiintoConnection) -> None:
    MiintoConnection.objects.filter(pk=connection.pk).update(stale_since=None, stale_reason="", stale_notified_at=None)


def _mail(connection: MiintoConnection, *, reminder: bool) -> None:
    owners = member_addresses(Membership.objects.filter(merchant_id=connection.merchant_id, role=Role.OWNER))
    if not owners:
        return

    def compose() -> tuple[str, str]:
        # Each owner's language; the reason is stored text and stays as it was written.
        if reminder:
            subject = _("Reminder: Miinto connection %(connection)s is not syncing") % {"connection": connection}
        else:
            subject = _("Miinto connection %(connection)s is not syncing") % {"connection": connection}
        body = "\n\n".join([
            connection.stale_reason,
            _(
                "Orders and stock for %(connection)s are not moving between Miinto and your store. "
                "Open the connection to see why: %(url)s\n"
                "You get a reminder every 24 hours until it syncs again."
            ) % {"connection": connection, "url": f"{settings.SITE_URL}/connections/{connection.pk}/"},
        ])
        return subject, body

    transaction.on_commit(lambda: send_in_their_languages(owners, compose))


def stale_overview(merchant) -> dict:
    """The overview's banner: the merchant's connections that stopped syncing, with why."""
    stale = MiintoConnection.objects.filter(merchant=merchant, stale_since__isnull=False, archived_at__isnull=True)
    return {"stale": list(stale.only("pk", "shop_name", "shop_id", "market", "stale_since", "stale_reason"))}
