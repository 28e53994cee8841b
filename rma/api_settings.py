"""REST API of the RMA settings page: restock per Miinto connection (`rma-settings`) and who gets the digest (`rma-digest`)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from connections.models import MiintoConnection
from koongo.accounts.models import Membership, Role
from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin
from rma import selectors, services
from rma.models import RmaDigestOptOut


class RmaSettingsSerializer(serializers.ModelSerializer):
    """One Miinto connection's RMA settings, with whether RMA and refund sync run for it and, if not, why."""

    connection = serializers.IntegerField(source="pk", read_only=True)
    restock_refunds = serializers.SerializerMethodField()
    rma_sync = serializers.SerializerMethodField()
    rma_sync_reason = serializers.SerializerMethodField()
    refund_sync = serializers.SerializerMethodField()
    refund_sync_reason = serializers.SerializerMethodField()

    class Meta:
        model = MiintoConnection
        fields = ["id", "connection", "shop_name", "restock_refunds", "rma_sync", "rma_sync_reason", "refund_sync",
                  "refund_sync_reason"]
        read_only_fields = fields

    def _scopes(self, connection) -> dict:
        cached = getattr(connection, "_rma_scopes", None)
        if cached is None:
            cached = connection._rma_scopes = selectors.connection_scopes(connection)
        return cached

    def get_restock_refunds(self, connection) -> bool:
        settings = getattr(connection, "rma_settings", None)
        # No row yet means the defaults, which the row is created with on first use (restock on).
        return settings.restock_refunds if settings is not None else True

    def get_rma_sync(self, connection) -> bool:
        return bool(self._scopes(connection)["scope"])

    def get_rma_sync_reason(self, connection) -> str:
        return self._scopes(connection)["scope"].reason

    def get_refund_sync(self, connection) -> bool:
        return bool(self._scopes(connection)["refund_scope"])

    def get_refund_sync_reason(self, connection) -> str:
        return self._scopes(connection)["refund_scope"].reason


class RmaSettingsUpdateSerializer(serializers.Serializer):
    restock_refunds = serializers.BooleanField(help_text="Refunds we create in the store for accepted RMAs restock the items.")


class RmaSettingsViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """RMA settings per Miinto connection (addressed by the connection's id), as on the dashboard's RMA settings page."""

    serializer_class = RmaSettingsSerializer

    def merchant_queryset(self):
        return MiintoConnection.objects.filter(merchant=self.merchant, archived_at__isnull=True).select_related(
            "merchant__plan", "store_connection", "order_configuration", "rma_settings"
        )

    @extend_schema(request=RmaSettingsUpdateSerializer, responses=RmaSettingsSerializer)
    def partial_update(self, request, pk=None):
        connection = self.get_object()
        payload = RmaSettingsUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.rma_settings_update(connection=connection, restock_refunds=payload.validated_data["restock_refunds"])
        return Response(RmaSettingsSerializer(self.get_queryset().get(pk=connection.pk)).data)


class DigestPreferenceSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    receives_digest = serializers.BooleanField(help_text="Whether this member gets the e-mail digest of new pending RMAs.")

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "receives_digest"]
        read_only_fields = ["id", "email", "role"]


class AnyMember(BasePermission):
    """Any member or key, writes included: the view decides (each member may change their own preference)."""

    def has_permission(self, request, view):
        return getattr(request, "actor", None) is not None


class RmaDigestViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Who gets the RMA e-mail digest, per member (addressed by the member's id from `/members/`).

    Each member may switch their own (a viewer too, as in the dashboard); owners and owner keys may switch anyone's.
    """

    serializer_class = DigestPreferenceSerializer
    permission_classes = [AnyMember]

    def merchant_queryset(self):
        opted_out = RmaDigestOptOut.objects.filter(merchant=self.merchant, user=OuterRef("user"))
        return Membership.objects.filter(merchant=self.merchant).select_related("user").annotate(receives_digest=~Exists(opted_out))

    @extend_schema(request=DigestPreferenceSerializer, responses=DigestPreferenceSerializer)
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        own = isinstance(request.actor, Membership) and request.actor.pk == membership.pk
        if not own and request.actor.role != Role.OWNER:
            raise PermissionDenied(_("Members change their own RMA e-mails; only an owner may change another member's."))
        payload = DigestPreferenceSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        if "receives_digest" in payload.validated_data:
            services.digest_opt_out_set(
                merchant=self.merchant, user=membership.user, opted_out=not payload.validated_data["receives_digest"]
            )
        return Response(DigestPreferenceSerializer(self.get_queryset().get(pk=membership.pk)).data)


settings_api_routes = [
    ("rma-settings", RmaSettingsViewSet, "rma-settings"),
    ("rma-digest", RmaDigestViewSet, "rma-digest"),
]
