"""Who may manage the team: the acting member or API key, its role checks and how it is named in records."""

from __future__ import annotations

from django.utils.translation import gettext as _

from koongo.accounts.models import Role


class PermissionDenied(Exception):
    """The actor's role does not allow this change."""


def is_owner(actor) -> bool:
    return actor is not None and actor.role == Role.OWNER


def require_owner(actor) -> None:
    """Members and API keys are managed by owners only (a membership or an owner API key)."""
    if not is_owner(actor):
        raise PermissionDenied(_("only an owner can manage members and API keys"))


def actor_label(actor) -> str:
    """A user's e-mail, or an API key's name and prefix: who sent an invitation, for the team page."""
    key = getattr(actor, "key", None)
    if key is not None:
        return f"API key {key.name} ({key.prefix})"
    user = getattr(actor, "user", None)
    return (user.email or user.get_username()) if user is not None else ""
