"""DRF permissions: a member (by session or key) may read; only owner/staff roles may write."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions


class IsOwner(permissions.BasePermission):
    """Owners only, for what a staff member's mistake must not do (archiving a connection, say).

    Checked on the object, after the lookup, so another merchant's id still answers 404, never 403.
    """

    message = _("Only an owner of this merchant may do this.")

    def has_object_permission(self, request, view, obj):
        actor = getattr(request, "actor", None)
        return actor is not None and actor.role == "owner"


class IsMerchantMember(permissions.BasePermission):
    message = _("This API key or user has read-only access.")

    def has_permission(self, request, view):
        actor = getattr(request, "actor", None)
        if actor is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return actor.can_write
