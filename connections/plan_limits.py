"""Plan downgrades, enforced: what the merchant's plan no longer allows is paused with the reason (nothing is deleted),
and resumed when the plan allows it again. Runs whenever a merchant is saved (the admin changes plans there)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from connections import events as connection_events
from connections.models import ConnectionStatus, MiintoConnection, PauseSource
from koongo.accounts.models import Feature, Merchant
from koongo.accounts.tenancy import merchant_scope


def plan_pause_reason(merchant: Merchant, *, feature_missing: bool) -> str:
    plan = merchant.plan
    if feature_missing:
        why = f"Your {plan.name} plan does not include Miinto order sync."
    else:
        why = f"Your {plan.name} plan allows {plan.max_connections} active connection(s); this is one more."
    return f"{why} Nothing was deleted: upgrade your plan to resume, or deactivate another connection."


@transaction.atomic
def plan_enforce(merchant: Merchant) -> tuple[list[int], list[int]]:
    """Pause active connections beyond the plan (the oldest keep their slots) and resume plan-paused ones that fit again.

    Returns (paused ids, resumed ids). A connection the merchant or a failure paused keeps that pause.
    """
    merchant = Merchant.objects.select_for_update().select_related("plan").get(pk=merchant.pk)
    active = list(MiintoConnection.objects.filter(merchant=merchant, status=ConnectionStatus.ACTIVE).order_by("created_at", "pk"))
    feature_missing = not merchant.plan.allows(Feature.ORDER_SYNC)
    slots = 0 if feature_missing else merchant.plan.max_connections
    allowed, over = active[:slots], active[slots:]
    now = timezone.now()
    paused = [c.pk for c in over if not c.is_paused]
    MiintoConnection.objects.filter(pk__in=paused).update(
        paused_at=now, paused_source=PauseSource.PLAN, paused_reason=plan_pause_reason(merchant, feature_missing=feature_missing)
    )
    resumed = [c.pk for c in allowed if c.paused_by_plan]
    MiintoConnection.objects.filter(pk__in=resumed).update(paused_at=None, paused_source="", paused_reason="", next_sync_at=now)
    connection_events.connections_paused(MiintoConnection.objects.filter(pk__in=paused))
    connection_events.connections_resumed(MiintoConnection.objects.filter(pk__in=resumed))
    return paused, resumed


def on_merchant_saved(sender, instance: Merchant, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return
    with merchant_scope(instance):  # the admin saves merchants outside any tenant scope
        plan_enforce(instance)
