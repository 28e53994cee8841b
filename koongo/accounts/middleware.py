"""Enters the tenant scope of the session's active merchant for the whole request."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from koongo.accounts.selectors import active_membership
from koongo.accounts.tenancy import merchant_scope

SESSION_MERCHANT_KEY = "merchant_id"


class MerchantScopeMiddleware:
    """Sets `request.membership` and `request.merchant`, and runs the view inside that merchant's scope.

    API requests authenticated by key enter their scope in the base API view instead (after DRF auth).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        membership = active_membership(request.user, request.session.get(SESSION_MERCHANT_KEY))
        request.membership = membership
        request.merchant = membership.merchant if membership else None
        if request.path.startswith(self.admin_prefix) and request.user.is_staff:
            # Allowed place: Django admin is cross-merchant by design, for the service's staff only.
            with scopes_disabled():
                return self.get_response(request)
        if request.merchant is not None:
            # Every time on the dashboard is shown in the merchant's zone (and labelled), one zone everywhere.
            with merchant_scope(request.merchant), timezone.override(request.merchant.timezone):
                return self.get_response(request)
        return self.get_response(request)
