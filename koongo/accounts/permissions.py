"""DRF permissions: a member (by session or key) may read; only owner/staff roles may write."""

from rest_framework import permissions


class IsMerchantMember(permissions.BasePermission):
    message = "This API key or user has read-only access."

    def has_permission(self, request, view):
        actor = getattr(request, "actor", None)
        if actor is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return actor.can_write
