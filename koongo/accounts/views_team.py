"""Dashboard team pages: members and invitations (owners manage, everyone sees), accepting an invitation, password reset."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koongo.accounts import invitations, team
from koongo.accounts.decorators import merchant_required, owner_required
from koongo.accounts.forms import AcceptInvitationForm, MemberInviteForm, MemberRoleForm
from koongo.accounts.middleware import SESSION_MERCHANT_KEY
from koongo.accounts.models import Invitation, Membership, Role
from koongo.accounts.tenancy import merchant_scope


def _team_context(request, invite_form):
    merchant = request.merchant
    with merchant_scope(merchant):
        pending = list(Invitation.objects.filter(merchant=merchant, accepted_at__isnull=True).select_related("invited_by"))
    for invitation in pending:
        invitation.expires_at = invitations.invitation_expires_at(invitation)
    return {
        "members": Membership.objects.filter(merchant=merchant).select_related("user").order_by("created_at", "pk"),
        "invitations": pending,
        "invite_form": invite_form,
        "roles": Role.choices,
        "is_owner": request.membership.role == Role.OWNER,
    }


@merchant_required
def team_page(request):
    return render(request, "accounts/team.html", _team_context(request, MemberInviteForm(prefix="invite")))


@owner_required
@require_POST
def member_invite(request):
    form = MemberInviteForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            invitations.invitation_send(
                merchant=request.merchant, actor=request.membership, base_url=request.build_absolute_uri("/"), **form.cleaned_data
            )
        except invitations.AlreadyMember:
            form.add_error("email", _("This address already belongs to a member."))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("team")
    return render(request, "accounts/team.html", _team_context(request, form), status=400)


@owner_required
@require_POST
def member_role(request, pk: int):
    membership = get_object_or_404(Membership, merchant=request.merchant, pk=pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role: owner, staff or viewer."))
        return redirect("team")
    try:
        team.membership_role_change(merchant=request.merchant, actor=request.membership, membership=membership, role=form.cleaned_data["role"])
        messages.success(
            request, _("%(email)s is now %(role)s.") % {"email": membership.user.email, "role": membership.get_role_display().lower()}
        )
    except team.LastOwner as refusal:
        messages.error(request, str(refusal))
    return redirect("team")


@owner_required
@require_POST
def member_remove(request, pk: int):
    membership = get_object_or_404(Membership, merchant=request.merchant, pk=pk)
    try:
        team.membership_remove(merchant=request.merchant, actor=request.membership, membership=membership)
        messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
    except team.LastOwner as refusal:
        messages.error(request, str(refusal))
    return redirect("team")


@owner_required
@require_POST
def invitation_withdraw(request, pk: int):
    with merchant_scope(request.merchant):
        invitation = get_object_or_404(Invitation, merchant=request.merchant, pk=pk, accepted_at__isnull=True)
    invitations.invitation_withdraw(merchant=request.merchant, actor=request.membership, invitation=invitation)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("team")


def accept_invitation(request, token: str):
    """The link from the e-mail: a new address sets a password; an existing account signs in first, then joins."""
    try:
        invitation = invitations.invitation_from_token(token)
    except invitations.InvitationInvalid as invalid:
        return render(request, "accounts/accept_invitation.html", {"invalid": str(invalid)}, status=410)
    existing = invitations.existing_user(invitation)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email) if existing is None else None
    signed_in_as_invitee = existing is not None and request.user.is_authenticated and request.user.pk == existing.pk
    if request.method == "POST" and (signed_in_as_invitee or (form is not None and form.is_valid())):
        try:
            user = invitations.invitation_accept(
                invitation=invitation,
                user=existing if signed_in_as_invitee else None,
                password=form.cleaned_data["password1"] if form is not None else None,
            )
        except invitations.InvitationInvalid as invalid:
            return render(request, "accounts/accept_invitation.html", {"invalid": str(invalid)}, status=410)
        except ValidationError as error:  # a password the validators refuse, raced past the form
            form.add_error("password1", error)
        else:
            if not signed_in_as_invitee:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_MERCHANT_KEY] = invitation.merchant_id
            messages.success(request, _("Welcome to %(merchant)s.") % {"merchant": invitation.merchant.name})
            return redirect("overview")
    context = {
        "invitation": invitation,
        "form": form,
        "existing": existing is not None,
        "signed_in_as_invitee": signed_in_as_invitee,
        "login_url": f"{reverse('login')}?next={request.path}",
    }
    return render(request, "accounts/accept_invitation.html", context)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever can read the mailbox may sign in again now: lift a login lock-out on this username (django-axes).
        axes_reset(username=form.user.get_username())
        return response
