"""View decorators for the dashboard: a merchant is required, and writes need an owner or staff role."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def merchant_required(view):
    """Logged in and a member of at least one merchant."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.merchant is None:
            messages.info(request, _("Your account is not a member of any merchant yet."))
            return redirect("signup")
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view):
    """Like merchant_required, for owners only: what a staff member's mistake must not do (archiving a connection)."""

    @merchant_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.membership.role != "owner":
            raise PermissionDenied(_("Only an owner of this merchant may do this."))
        return view(request, *args, **kwargs)

    return wrapper


def write_required(view):
    """Like merchant_required, and refuses POSTs from viewers."""

    @merchant_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") and not request.membership.can_write:
            raise PermissionDenied(_("Viewers can only read."))
        return view(request, *args, **kwargs)

    return wrapper
