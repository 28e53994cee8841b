"""REST API for connections: Get Available Stores, Miinto and store connections, activation, configuration, tests."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from connections import selectors, services
from connections.api_sync import sync_api_routes
from connections.idempotency import IdempotentWritesMixin
from connections.serializers import (
    AvailableStoreSerializer,
    AvailableStoresRequestSerializer,
    CredentialsSerializer,
    MiintoConnectionSerializer,
    MiintoConnectionUpdateSerializer,
    OrderConfigurationSerializer,
    StoreConnectionSerializer,
)
from koongo.api import MerchantViewSet


def _refusal(refusal: services.ActivationRefused) -> Response:
    return Response({"detail": refusal.message, "upgrade": refusal.upgrade}, status=status.HTTP_409_CONFLICT)


class StoreConnectionViewSet(
    IdempotentWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    MerchantViewSet,
):
    """The merchant's web stores. Credentials are validated by the platform's model and never returned."""

    serializer_class = StoreConnectionSerializer

    def merchant_queryset(self):
        return selectors.store_connections(self.merchant)

    def perform_create(self, serializer):
        data = serializer.validated_data
        store = services.store_connection_create(
            merchant=self.merchant, platform=data["platform"], name=data["name"], credentials=data["credentials"]
        )
        serializer.instance = services.store_connection_test(store_connection=store)

    @extend_schema(request=None, responses=StoreConnectionSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        store = services.store_connection_test(store_connection=self.get_object())
        return Response(self.get_serializer(store).data)


class MiintoConnectionViewSet(
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

    def merchant_queryset(self):
        return selectors.miinto_connections(self.merchant)

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
                environment=data["environment"],
                username=data["username"],
                password=data["password"],
                shop_id=data["shop_id"],
                store_connection=data.get("store_connection"),
                activate=data["activate"],
            )
        except services.ActivationRefused as refusal:
            connection = selectors.miinto_connections(self.merchant).get(shop_id=data["shop_id"])
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

    @extend_schema(request=None, responses=MiintoConnectionSerializer)
    @action(detail=True, methods=["post"])
    def unpause(self, request, pk=None):
        return self.retrieve_after(services.miinto_connection_unpause(connection=self.get_object()))

    @extend_schema(request=CredentialsSerializer, responses=MiintoConnectionSerializer)
    @action(detail=True, methods=["post"])
    def credentials(self, request, pk=None):
        """Replace the Miinto credentials (checked with Miinto first); clears a credentials pause."""
        connection = self.get_object()
        payload = CredentialsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self.retrieve_after(services.miinto_connection_update_credentials(connection=connection, **payload.validated_data))

    @extend_schema(request=None, responses=AvailableStoreSerializer(many=True))
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Log in with the saved credentials and confirm the shop is still administered by the account."""
        connection = self.get_object()
        stores = services.miinto_connection_start(
            merchant=self.merchant, environment=connection.environment, username=connection.username, password=connection.password
        )
        if connection.shop_id not in {s.shop_id for s in stores}:
            raise ValidationError({"shop_id": "This Miinto account no longer administers the connected shop location."})
        if connection.is_paused:
            services.miinto_connection_unpause(connection=connection)
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
]
