"""Managing the team (owners only): members' roles and removal, never leaving a merchant without an owner; API keys."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koongo.accounts.models import ApiKeyRole, Membership, Merchant, MerchantApiKey, Role
from koongo.accounts.roles import PermissionDenied, require_owner


class LastOwner(Exception):
    """The change would leave the merchant without an owner."""

    message = _("A merchant needs at least one owner: make someone else an owner first.")


def _other_owners(merchant: Merchant, membership: Membership) -> int:
    # Locking every owner row serialises concurrent demotions, so two owners cannot demote each other at once.
    owners = list(Membership.objects.select_for_update().filter(merchant=merchant, role=Role.OWNER).values_list("pk", flat=True))
    return len([pk for pk in owners if pk != membership.pk])


@transaction.atomic
def membership_role_change(*, merchant: Merchant, actor, membership: Membership, role: str) -> Membership:
    require_owner(actor)
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    if membership.role == Role.OWNER and role != Role.OWNER and not _other_owners(merchant, membership):
        raise LastOwner(LastOwner.message)
    Membership.objects.filter(pk=membership.pk, merchant=merchant).update(role=role)
    membership.role = role
    return membership


@transaction.atomic
def membership_remove(*, merchant: Merchant, actor, membership: Membership) -> None:
    require_owner(actor)
    if membership.role == Role.OWNER and not _other_owners(merchant, membership):
        raise LastOwner(LastOwner.message)
    Membership.objects.filter(pk=membership.pk, merchant=merchant).delete()


def api_key_issue(*, merchant: Merchant, actor, name: str, role: str = ApiKeyRole.VIEWER) -> tuple[MerchantApiKey, str]:
    """A new key (owners only); the plaintext is returned once and never stored."""
    require_owner(actor)
    if role not in ApiKeyRole.values:
        raise ValueError(f"unknown API key role {role!r}")
    return MerchantApiKey.objects.create_key(merchant=merchant, name=name, role=role)


def api_key_withdraw(*, merchant: Merchant, actor, key: MerchantApiKey) -> MerchantApiKey:
    """Revoke a key (owners only); it answers 401 from the next request on. Revoked keys stay listed."""
    require_owner(actor)
    MerchantApiKey.objects.filter(merchant=merchant, pk=key.pk).update(revoked=True)
    key.revoked = True
    return key


__all__ = ["LastOwner", "PermissionDenied", "api_key_issue", "api_key_withdraw", "membership_remove", "membership_role_change"]
