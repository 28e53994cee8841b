"""Invitations by e-mail: a signed link that expires, sent through Django's mail backend, accepted once.

The token signs the invitation's id and address with a timestamp (`TimestampSigner`), so it cannot be forged or
pointed at another invitation, and stops working after `INVITATION_MAX_AGE`, when it is accepted or withdrawn.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from koongo.accounts.models import Invitation, Membership, Merchant, Role
from koongo.accounts.roles import actor_label, require_owner
from koongo.accounts.tenancy import merchant_scope

INVITATION_MAX_AGE = timedelta(days=7)
SALT = "koongo.accounts.invitation"


class InvitationInvalid(Exception):
    """The link is forged, expired, already used or withdrawn; the message says which, for the page."""


class AlreadyMember(Exception):
    """The invited address already belongs to a member of this merchant."""


def invitation_token(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"i": invitation.pk, "e": invitation.email})


def invitation_expires_at(invitation: Invitation):
    return invitation.created_at + INVITATION_MAX_AGE


def invitation_url(invitation: Invitation, base_url: str | None = None) -> str:
    path = reverse("accept-invitation", args=[invitation_token(invitation)])
    return f"{(base_url or settings.SITE_URL).rstrip('/')}{path}"


@transaction.atomic
def invitation_send(*, merchant: Merchant, actor, email: str, role: str, base_url: str | None = None) -> Invitation:
    """Invite `email` with `role` (owners only); inviting an address again re-sends a fresh link with the new role."""
    require_owner(actor)
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    email = email.strip().lower()
    if Membership.objects.filter(merchant=merchant, user__username=email).exists():
        raise AlreadyMember(email)
    user = getattr(actor, "user", None)
    with merchant_scope(merchant):
        Invitation.objects.filter(merchant=merchant, email=email, accepted_at__isnull=True).delete()
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    merchant=merchant, email=email, role=role, invited_by=user, invited_by_label=actor_label(actor)
                )
        except IntegrityError:  # a concurrent invitation to the same address won; re-send that one
            invitation = Invitation.objects.get(merchant=merchant, email=email, accepted_at__isnull=True)
    url = invitation_url(invitation, base_url)
    context = {"invitation": invitation, "merchant": merchant, "url": url, "days": INVITATION_MAX_AGE.days}
    subject = _("You are invited to %(merchant)s on Koongo") % {"merchant": merchant.name}
    body = render_to_string("accounts/email/invitation.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))
    return invitation


def invitation_withdraw(*, merchant: Merchant, actor, invitation: Invitation) -> None:
    require_owner(actor)
    with merchant_scope(merchant):
        Invitation.objects.filter(merchant=merchant, pk=invitation.pk, accepted_at__isnull=True).delete()


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link names, or InvitationInvalid saying why it cannot be used."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvitationInvalid(_("This invitation has expired. Ask the owner to invite you again.")) from None
    except signing.BadSignature:
        raise InvitationInvalid(_("This invitation link is not valid.")) from None
    # Not scoped: the link is how the merchant is found.
    invitation = Invitation._base_manager.select_related("merchant").filter(pk=data.get("i"), email=data.get("e")).first()
    if invitation is None:
        raise InvitationInvalid(_("This invitation was withdrawn. Ask the owner to invite you again."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation was already accepted. Sign in instead."))
    return invitation


def existing_user(invitation: Invitation):
    return get_user_model().objects.filter(username=invitation.email).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user=None, password: str | None = None):
    """Join the merchant: an existing (signed-in) user as themself, a new address with the password they chose."""
    locked = Invitation._base_manager.select_for_update().filter(pk=invitation.pk, accepted_at__isnull=True).first()
    if locked is None:
        raise InvitationInvalid(_("This invitation was already accepted. Sign in instead."))
    if user is None:
        if existing_user(invitation) is not None:
            raise InvitationInvalid(_("An account with this e-mail exists: sign in to accept the invitation."))
        candidate = get_user_model()(username=invitation.email, email=invitation.email)
        password_validation.validate_password(password, candidate)
        user = get_user_model().objects.create_user(username=invitation.email, email=invitation.email, password=password)
    elif user.get_username().lower() != invitation.email:
        raise InvitationInvalid(
            _("This invitation is for %(email)s. Sign in with that address to accept it.") % {"email": invitation.email}
        )
    Membership.objects.get_or_create(user=user, merchant=invitation.merchant, defaults={"role": invitation.role})
    Invitation._base_manager.filter(pk=locked.pk).update(accepted_at=timezone.now())
    return user
