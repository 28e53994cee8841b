"""REST API foundations: the merchant-scoped base views and `/me`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from koongo.accounts.api_auth import ApiKeyPrincipal
from koongo.accounts.language import saved_language
from koongo.accounts.tenancy import merchant_scope


class MerchantScopedMixin:
    """Resolves the acting merchant and role after DRF authentication and runs the view in that merchant's scope.

    Middleware runs before DRF authenticates an API key, so the scope is entered here, in `initial()`.
    """

    merchant = None

    def perform_authentication(self, request):
        super().perform_authentication(request)  # a bad key raises 401 here
        self.merchant, request.actor = self.resolve_actor(request)

    def initial(self, request, *args, **kwargs):
        self._scope = None
        request.actor = None
        super().initial(request, *args, **kwargs)
        if self.merchant is not None:
            self._scope = merchant_scope(self.merchant)
            self._scope.__enter__()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "_scope", None) is not None:
            # Render inside the scope: serializers may touch lazy relations while rendering.
            response.render()
            self._scope.__exit__(None, None, None)
            self._scope = None
        return response

    @staticmethod
    def resolve_actor(request):
        auth = request.auth
        if isinstance(auth, ApiKeyPrincipal):
            return auth.merchant, auth
        membership = getattr(request._request, "membership", None)
        if request.user and request.user.is_authenticated and membership is not None:
            return membership.merchant, membership
        return None, None


class MerchantAPIView(MerchantScopedMixin, APIView):
    """Base for plain API views."""


class MerchantViewSet(MerchantScopedMixin, viewsets.GenericViewSet):
    """Base for API viewsets; subclasses return the app's selector for `self.merchant` from `merchant_queryset()`."""

    # A slimmer serializer for `list` (no raw payloads: those are for the detail view), when the viewset has one.
    list_serializer_class = None

    def merchant_queryset(self):
        raise NotImplementedError

    def get_serializer_class(self):
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs without a merchant; it needs only the model, through the unscoped base manager.
            return self.get_serializer_class().Meta.model._base_manager.none()
        return self.merchant_queryset()


class MeView(MerchantAPIView):
    """Who the caller is: the merchant, plan and role behind this key or session."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "merchant": inline_serializer("MeMerchant", {"id": serializers.IntegerField(), "name": serializers.CharField()}),
                "plan": serializers.CharField(),
                "role": serializers.CharField(),
                "auth": serializers.ChoiceField(choices=["api_key", "session"]),
                "language": serializers.CharField(
                    allow_null=True,
                    help_text="A signed-in user's saved dashboard language; null for an API key or no choice "
                    "(then Accept-Language decides the language of messages).",
                ),
            },
        )
    )
    def get(self, request):
        by_key = isinstance(request.actor, ApiKeyPrincipal)
        return Response(
            {
                "merchant": {"id": self.merchant.pk, "name": self.merchant.name},
                "plan": self.merchant.plan.code,
                "role": request.actor.role,
                "auth": "api_key" if by_key else "session",
                "language": None if by_key else saved_language(request.user) or None,
            }
        )
