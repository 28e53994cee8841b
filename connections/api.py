"""REST API for connections: Get Available Stores, Miinto and store connections, activation, configuration, tests."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from connections import archive, clients, selectors, services
from connections.archive import ArchiveConflict
from connections.models import MiintoConnection, PauseSource
from connections.serializers import (
    AvailableStoreSerializer,
    AvailableStoresRequestSerializer,
    CredentialsSerializer,
    MiintoConnectionSerializer,
    MiintoConnectionUpdateSerializer,
    OrderConfigurationSerializer,
    PauseSerializer,
    StoreConnectionSerializer,
)
from connections.sync.api import SyncStartMixin, sync_api_routes
from connections.team_api import team_api_routes
from koongo.accounts.permissions import IsOwner
from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin


def _refusal(refusal: services.ActivationRefused) -> Response:
    return Response({"detail": refusal.message, "upgrade": refusal.upgrade}, status=status.HTTP_409_CONFLICT)


ARCHIVED_PARAMETER = OpenApiParameter(
    "archived", OpenApiTypes.BOOL, description="true: list the archived connections instead (hidden by default)"
)


class ArchiveInsteadOfDeleteMixin:
    """DELETE archives (owners only) and `POST …/restore/` undoes it; lists hide archived rows unless `?archived=true`.

    Subclasses call their archive and restore services; a refused archive or restore answers 409 with the reason.
    """

    def archive_object(self, instance):
        raise NotImplementedError

    def restore_object(self, instance):
        raise NotImplementedError

    def get_permissions(self):
        if self.action in ("destroy", "restore"):
            return [*super().get_permissions(), IsOwner()]
        return super().get_permissions()

    def archived_filter(self) -> bool | None:
        """False (live ones) for lists unless `?archived=true`; None (any) for one object, so it can be restored."""
        if self.action != "list":
            return None
        return self.request.query_params.get("archived", "").lower() in ("true", "1", "yes")

    @extend_schema(responses={204: None, 403: None, 404: None, 409: None})
    def destroy(self, request, *args, **kwargs):
        """Archive: deactivated and hidden, never deleted; orders, RMAs, refunds and labels are kept."""
        try:
            self.archive_object(self.get_object())
        except ArchiveConflict as conflict:
            return Response({"detail": conflict.message}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: None, 403: None, 404: None, 409: None})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring an archived connection back (a Miinto connection comes back disabled)."""
        try:
            restored = self.restore_object(self.get_object())
        except ArchiveConflict as conflict:
            return Response({"detail": conflict.message}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer_class()(restored, context=self.get_serializer_context()).data)


class StoreConnectionViewSet(
    ArchiveInsteadOfDeleteMixin,
    IdempotentWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    MerchantViewSet,
):
    """The merchant's web stores. Credentials are validated by the platform's model and never returned."""

    serializer_class = StoreConnectionSerializer
    def archive_object(self, instance):
        return archive.store_connection_archive(store=instance)

    def restore_object(self, instance):
        return archive.store_connection_restore(store=instance)

    def merchant_queryset(self):
        return selectors.store_connections(self.merchant, archived=self.archived_filter())

    @extend_schema(parameters=[ARCHIVED_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        credentials = {**data["credentials"], **clients.server_location(data["platform"], data["credentials"])}
        store = services.store_connection_create(
            merchant=self.merchant, platform=data["platform"], name=data["name"], credentials=credentials
        )
        serializer.instance = services.store_connection_test(store_connection=store)

    @extend_schema(request=None, responses=StoreConnectionSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        store = services.store_connection_test(store_connection=self.get_object())
        return Response(self.get_serializer(store).data)


class MiintoConnectionViewSet(
    SyncStartMixin,
    ArchiveInsteadOfDeleteMixin,
    IdempotentWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    MerchantViewSet,
):
    """Miinto shop locations connected to a store; create with the credentials and a shop id from available-stores."""

    serializer_class = MiintoConnectionSerializer
    def archive_object(self, instance):
        return archive.miinto_connection_archive(connection=instance)

    def restore_object(self, instance):
        return archive.miinto_connection_restore(connection=instance)

    def merchant_queryset(self):
        return selectors.miinto_connections(self.merchant, archived=self.archived_filter())

    @extend_schema(parameters=[ARCHIVED_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return MiintoConnectionUpdateSerializer
        return super().get_serializer_class()

    @extend_schema(
        request=AvailableStoresRequestSerializer,
        responses=AvailableStoreSerializer(many=True),
        examples=[
            OpenApiExample(
                "Get Available Stores",
                request_only=True,
                value={"environment": "production", "username": "shop@example.com", "password": "…"},
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="available-stores")
    def available_stores(self, request):
        """Log in to Miinto and list the shop locations the account can administer; saves nothing."""
        payload = AvailableStoresRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        stores = services.miinto_connection_start(merchant=self.merchant, **payload.validated_data)
        return Response(AvailableStoreSerializer(stores, many=True).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            connection = services.miinto_connection_create(
                merchant=self.merchant,
                environment=data.get("environment", MiintoConnection._meta.get_field("environment").default),
                username=data["username"],
                password=data["password"],
                shop_id=data["shop_id"],
                store_connection=data.get("store_connection"),
                activate=data["activate"],
            )
        except services.ActivationRefused as refusal:
            connection = selectors.miinto_connections(self.merchant).get(shop_id=data["shop_id"], environment=data["environment"])
            body = {**self.get_serializer(connection).data, "activation_refused": refusal.message, "upgrade": refusal.upgrade}
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(self.get_serializer(connection).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        connection = serializer.instance
        if "store_connection" in serializer.validated_data:
            services.miinto_connection_link_store(
                connection=connection, store_connection=serializer.validated_data["store_connection"]
            )
        if "sync_interval_minutes" in serializer.validated_data:
            connection.sync_interval_minutes = serializer.validated_data["sync_interval_minutes"]
            connection.save(update_fields=["sync_interval_minutes"])

    def retrieve_after(self, connection):
        return Response(MiintoConnectionSerializer(connection, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: MiintoConnectionSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Activate order sync; 409 with the reason (and whether a plan upgrade helps) when it is not allowed."""
        try:
            connection = services.miinto_connection_activate(connection=self.get_object())
        except services.ActivationRefused as refusal:
            return _refusal(refusal)
        return self.retrieve_after(connection)

    @extend_schema(request=None, responses=MiintoConnectionSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self.retrieve_after(services.miinto_connection_deactivate(connection=self.get_object()))

    @extend_schema(request=PauseSerializer, responses=MiintoConnectionSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop syncing, with the reason shown everywhere; a connection already paused keeps its first reason and cause."""
        connection = self.get_object()
        payload = PauseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not connection.is_paused:
            connection = services.miinto_connection_pause(connection=connection, reason=payload.validated_data["reason"])
        return self.retrieve_after(connection)

    @extend_schema(request=None, responses={200: MiintoConnectionSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a paused connection (409 when the plan paused it: an upgrade resumes it)."""
        try:
            return self.retrieve_after(services.miinto_connection_unpause(connection=self.get_object()))
        except services.ActivationRefused as refusal:
            return _refusal(refusal)

    @extend_schema(request=None, responses={200: MiintoConnectionSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def unpause(self, request, pk=None):
        """The former name of `resume`, kept for existing integrations."""
        return self.resume(request, pk)

    @extend_schema(request=CredentialsSerializer, responses=MiintoConnectionSerializer)
    @action(detail=True, methods=["post"])
    def credentials(self, request, pk=None):
        """Replace the Miinto credentials (checked with Miinto first); clears a pause the Miinto credentials caused."""
        connection = self.get_object()
        payload = CredentialsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self.retrieve_after(services.miinto_connection_update_credentials(connection=connection, **payload.validated_data))

    @extend_schema(request=None, responses=AvailableStoreSerializer(many=True))
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Log in with the saved credentials and confirm the shop is still administered by the account.

        Success clears a pause that refused Miinto credentials caused, and no other (a store or plan pause stays).
        """
        connection = self.get_object()
        stores = services.miinto_connection_start(
            merchant=self.merchant, environment=connection.environment, username=connection.username, password=connection.password
        )
        if connection.shop_id not in {s.shop_id for s in stores}:
            raise ValidationError({"shop_id": _("This Miinto account no longer administers the connected shop location.")})
        services.miinto_connection_clear_pause(connection=connection, source=PauseSource.MIINTO_CREDENTIALS)
        return Response(AvailableStoreSerializer(stores, many=True).data)

    @extend_schema(methods=["GET"], responses=OrderConfigurationSerializer)
    @extend_schema(methods=["PATCH"], request=OrderConfigurationSerializer, responses=OrderConfigurationSerializer)
    @action(detail=True, methods=["get", "patch"], url_path="order-configuration")
    def order_configuration(self, request, pk=None):
        connection = self.get_object()
        configuration = connection.order_configuration
        if request.method == "GET":
            return Response(OrderConfigurationSerializer(configuration).data)
        context = {
            "attributes": selectors.identifier_attribute_choices(connection.store_connection),
            "providers": selectors.shipping_provider_choices(connection),
        }
        payload = OrderConfigurationSerializer(configuration, data=request.data, partial=True, context=context)
        payload.is_valid(raise_exception=True)
        services.order_configuration_apply(configuration=configuration, **payload.validated_data)  # refusals answer 400
        configuration.refresh_from_db()
        return Response(OrderConfigurationSerializer(configuration).data)


api_routes = [
    ("miinto-connections", MiintoConnectionViewSet, "miinto-connection"),
    ("store-connections", StoreConnectionViewSet, "store-connection"),
    *sync_api_routes,
    *team_api_routes,
]
