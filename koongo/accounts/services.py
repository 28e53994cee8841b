"""Writes for accounts: sign-up, memberships, API keys, plan requests and the monthly order quota."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.contrib.auth import get_user_model
from django.core.mail import mail_admins
from django.db import connection as db
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from koongo.accounts.mail import member_addresses, send_in_their_languages
from koongo.accounts.models import (
    ApiKeyRole,
    Membership,
    Merchant,
    MerchantApiKey,
    MonthlyUsage,
    Plan,
    PlanChangeRequest,
    Role,
)
from koongo.accounts.roles import PermissionDenied
from koongo.accounts.tenancy import merchant_scope

DEFAULT_PLAN_CODE = "free"
QUOTA_THRESHOLDS = (80, 100)


def plan_allows(merchant: Merchant, feature: str) -> bool:
    """Whether the merchant's plan includes a feature (`order_sync`, `rma`, `refund_sync`)."""
    return merchant.plan.allows(feature)


def require_write(membership_or_key) -> None:
    """Raise unless the actor (membership or API key) may change configuration or decide anything."""
    if membership_or_key is None or not membership_or_key.can_write:
        raise PermissionDenied(_("this role can only read"))


@transaction.atomic
def merchant_signup(*, email: str, password: str, company: str, timezone_name: str = "Europe/Copenhagen"):
    """Create a user, their merchant on the default plan, and an owner membership."""
    user = get_user_model().objects.create_user(username=email.lower(), email=email.lower(), password=password)
    merchant = merchant_create(name=company, owner=user, timezone_name=timezone_name)
    return user, merchant


@transaction.atomic
def merchant_create(*, name: str, owner, plan: Plan | None = None, timezone_name: str = "Europe/Copenhagen") -> Merchant:
    plan = plan or Plan.objects.get(code=DEFAULT_PLAN_CODE)
    merchant = Merchant.objects.create(name=name, plan=plan, timezone=timezone_name)
    Membership.objects.create(user=owner, merchant=merchant, role=Role.OWNER)
    return merchant


def api_key_create(*, merchant: Merchant, name: str, role: str = ApiKeyRole.VIEWER) -> tuple[MerchantApiKey, str]:
    """A new key; the plaintext is returned once and never stored."""
    if role not in ApiKeyRole.values:
        raise ValueError(f"unknown API key role {role!r}")
    return MerchantApiKey.objects.create_key(merchant=merchant, name=name, role=role)


def api_key_revoke(*, merchant: Merchant, key_id: str) -> None:
    MerchantApiKey.objects.filter(merchant=merchant, pk=key_id).update(revoked=True)


def api_key_touch(key: MerchantApiKey) -> None:
    """Record use at most once a minute, so authentication does not write on every request."""
    now = timezone.now()
    if key.last_used_at and (now - key.last_used_at).total_seconds() < 60:
        return
    alone = not db.in_atomic_block  # inside a caller's transaction, its commit keeps its own durability
    with transaction.atomic():
        if alone and db.vendor == "postgresql":
            # A timestamp is not worth making a request wait for the WAL flush; a crash may lose the stamp, nothing else.
            with db.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        MerchantApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


@transaction.atomic
def plan_change_request(*, merchant: Merchant, user, plan: Plan, message: str = "") -> PlanChangeRequest:
    """Record an upgrade request and e-mail the admins, who change the plan in Django admin."""
    with merchant_scope(merchant):
        request = PlanChangeRequest.objects.create(merchant=merchant, requested_plan=plan, requested_by=user, message=message)
    transaction.on_commit(
        lambda: mail_admins(
            f"Plan change requested: {merchant.name} → {plan.name}",
            f"{user} asks to move {merchant.name} (id {merchant.pk}) from {merchant.plan.name} to {plan.name}.\n\n{message}",
        )
    )
    return request


def month_start(day: date | None = None, merchant: Merchant | None = None) -> date:
    """The first day of the month `day` is in; today is taken in the merchant's time zone (its quota month)."""
    if day is None:
        now = timezone.now()
        day = timezone.localtime(now, zoneinfo.ZoneInfo(merchant.timezone)).date() if merchant is not None else now.date()
    return day.replace(day=1)


def usage_this_month(merchant: Merchant) -> int:
    with merchant_scope(merchant):
        row = MonthlyUsage.objects.filter(merchant=merchant, month=month_start(merchant=merchant)).first()
    return row.orders if row else 0


def quota_percent(merchant: Merchant, used: int | None = None) -> int | None:
    """Percentage of the monthly order quota used, or None for an unlimited plan."""
    limit = merchant.plan.orders_per_month
    if not limit:
        return None
    used = usage_this_month(merchant) if used is None else used
    return int(used * 100 / limit)


@transaction.atomic
def usage_add_orders(*, merchant: Merchant, count: int) -> int:
    """Count new orders against the quota and send the 80 % / 100 % notice once per month; never blocks sync."""
    month = month_start(merchant=merchant)
    with merchant_scope(merchant):
        row, _created = MonthlyUsage.objects.select_for_update().get_or_create(merchant=merchant, month=month)
        MonthlyUsage.objects.filter(pk=row.pk).update(orders=F("orders") + count)
        row.refresh_from_db()
    percent = quota_percent(merchant, row.orders)
    if percent is not None:
        _send_quota_notices(merchant, month, percent, row.orders)
    return row.orders


def _send_quota_notices(merchant: Merchant, month: date, percent: int, used: int) -> None:
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    sent = set(merchant.quota_notices)
    due = [t for t in QUOTA_THRESHOLDS if percent >= t and f"{month:%Y-%m}:{t}" not in sent]
    if not due:
        return
    threshold = max(due)
    merchant.quota_notices = sorted(sent | {f"{month:%Y-%m}:{t}" for t in due})
    merchant.save(update_fields=["quota_notices"])
    owners = member_addresses(merchant.memberships.filter(role=Role.OWNER))
    limit = merchant.plan.orders_per_month

    def compose() -> tuple[str, str]:
        subject = _("Miinto orders: %(percent)s%% of your monthly quota used") % {"percent": threshold}
        body = _(
            "%(merchant)s has synced %(used)s of %(limit)s orders this month on the %(plan)s plan. "
            "Order sync keeps running; consider upgrading your plan."
        ) % {"merchant": merchant.name, "used": used, "limit": limit, "plan": merchant.plan.display_name}
        return subject, body

    transaction.on_commit(lambda: send_in_their_languages(owners, compose))

