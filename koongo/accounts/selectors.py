"""Reads for accounts: a user's memberships and the active membership for a request."""

from __future__ import annotations

from django.db.models import QuerySet

from koongo.accounts.models import Membership, MerchantApiKey, Plan, PlanChangeRequest


def memberships_for(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("merchant", "merchant__plan")


def active_membership(user, merchant_id: int | None) -> Membership | None:
    """The membership for the merchant chosen in the session, else the user's first."""
    if not user.is_authenticated:
        return None
    memberships = memberships_for(user)
    if merchant_id:
        chosen = memberships.filter(merchant_id=merchant_id).first()
        if chosen:
            return chosen
    return memberships.first()


def api_keys_for(merchant) -> QuerySet[MerchantApiKey]:
    return MerchantApiKey.objects.filter(merchant=merchant).order_by("-created")


def plans() -> QuerySet[Plan]:
    return Plan.objects.all()


def plan_requests_for(merchant) -> QuerySet[PlanChangeRequest]:
    return PlanChangeRequest.objects.filter(merchant=merchant).select_related("requested_plan")
