"""Telling the owners: an endpoint disabled after persistent failure gets an e-mail and a dashboard banner."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from koongo.accounts.mail import member_addresses, send_in_their_languages
from koongo.accounts.models import Membership, Role
from webhooks.models import WebhookEndpoint


def endpoint_disable(endpoint: WebhookEndpoint, *, reason: str) -> bool:
    """Disable the endpoint (once) and e-mail the owners after the commit; True when this call disabled it."""
    with scopes_disabled():
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
            disabled_at=timezone.now(), disabled_reason=reason[:2000], updated_at=timezone.now()
        )
    if not disabled:
        return False
    owners = member_addresses(Membership.objects.filter(merchant_id=endpoint.merchant_id, role=Role.OWNER))

    def compose() -> tuple[str, str]:
        # Each owner's language; the receiver's failure (`reason`) is quoted as it was.
        subject = _("Koongo webhooks: an endpoint was disabled")
        body = "\n\n".join([
            _("Koongo could not deliver events to %(url)s and has disabled the endpoint.") % {"url": endpoint.url},
            reason,
            _(
                "Fix the receiver, then enable the endpoint again under Settings → Webhooks: the waiting events are sent then.\n"
                "%(url)s"
            ) % {"url": f"{settings.SITE_URL}/settings/webhooks/{endpoint.pk}/"},
        ])
        return subject, body

    if owners:
        transaction.on_commit(lambda: send_in_their_languages(owners, compose))
    return True


def disabled_endpoints(merchant) -> list[WebhookEndpoint]:
    """For the banner: the merchant's endpoints that were disabled after failing."""
    with scopes_disabled():
        return list(WebhookEndpoint.objects.filter(merchant=merchant, disabled_at__isnull=False).only("pk", "url", "disabled_at"))
