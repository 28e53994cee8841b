"""REST API for the catalog: read-only products, listings and price exports with filters, and per Miinto connection
its feed and stock settings with the actions catalog-refresh, stock-sync and feed-credentials (rotate, shown once)."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog import selectors
from catalog.feed_access import catalog_settings_get, feed_credentials_rotate
from catalog.models import PriceExport, Product, ProductListing
from catalog.serializers import (
    CatalogSettingsSerializer,
    FeedCredentialsSerializer,
    ListingSerializer,
    PriceExportSerializer,
    ProductSerializer,
)
from catalog.services import catalog_settings_update
from connections.models import Flow, Trigger
from connections.selectors import miinto_connections
from connections.sync.api import SyncRunSerializer
from connections.sync.runs import SyncRefused, sync_request
from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """An id filter, documented as an integer."""


class ProductFilter(filters.FilterSet):
    # Declared one by one: an auto-generated ModelChoiceFilter would build a queryset at import time, outside any scope.
    store_connection = IdFilter(help_text="Store connection id")
    connection = IdFilter(help_text="Miinto connection id: products of its store; the listing filters then look at its listing")
    q = filters.CharFilter(help_text="Title or brand contains, or exact SKU, GTIN, variant id or item group")
    mapping_problem = filters.BooleanFilter(help_text="Has a listing the feed left out or the stock API did not know")
    out_of_stock = filters.BooleanFilter(help_text="Store stock is 0 or less")
    never_exported = filters.BooleanFilter(help_text="Never in a served feed or a stock push")
    removed = filters.BooleanFilter(help_text="Gone from the store (kept because orders reference it)")

    class Meta:
        model = Product
        fields: list[str] = []  # all declared above

    def filter_queryset(self, queryset):
        values = {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "")}
        return selectors.products_narrowed(queryset, **values)


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Store products as the catalog holds them, each with its listing on every Miinto connection."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def merchant_queryset(self):
        return selectors.products(self.merchant)


class ListingFilter(filters.FilterSet):
    connection = IdFilter(help_text="Miinto connection id")
    product = IdFilter(help_text="Product id")
    in_feed = filters.BooleanFilter()
    mapping_problem = filters.BooleanFilter()
    never_exported = filters.BooleanFilter()

    class Meta:
        model = ProductListing
        fields: list[str] = []

    def filter_queryset(self, queryset):
        values = {name: value for name, value in self.form.cleaned_data.items() if value is not None}
        return selectors.listings_narrowed(queryset, **values)


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Products per Miinto connection: in the feed or not, any mapping problem, and the stock and prices last exported."""

    serializer_class = ListingSerializer
    filterset_class = ListingFilter

    def merchant_queryset(self):
        return selectors.listings(self.merchant)


class PriceExportFilter(filters.FilterSet):
    listing = IdFilter(field_name="listing_id")
    product = IdFilter(field_name="listing__product_id")
    connection = IdFilter(field_name="listing__connection_id")

    class Meta:
        model = PriceExport
        fields: list[str] = []


class PriceExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """The history of exported prices: one row each time a listing's exported price changed, newest first."""

    serializer_class = PriceExportSerializer
    filterset_class = PriceExportFilter

    def merchant_queryset(self):
        return selectors.price_exports(self.merchant)


SYNC_RESPONSES = {202: SyncRunSerializer, 409: inline_serializer("CatalogSyncRefused", {"detail": serializers.CharField()})}


class CatalogConnectionViewSet(IdempotentWritesMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, MerchantViewSet):
    """A Miinto connection's catalog (the id is the Miinto connection's): feed URL and user, stock buffer and
    full-reassert interval (PATCH), and the actions below."""

    serializer_class = CatalogSettingsSerializer
    http_method_names = ["get", "patch", "post", "head", "options"]

    def merchant_queryset(self):
        return miinto_connections(self.merchant)

    def retrieve(self, request, *args, **kwargs):
        return Response(CatalogSettingsSerializer(catalog_settings_get(self.get_object())).data)

    def partial_update(self, request, *args, **kwargs):
        catalog_settings = catalog_settings_get(self.get_object())
        payload = CatalogSettingsSerializer(catalog_settings, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        updated = catalog_settings_update(connection=catalog_settings.connection, **payload.validated_data)
        return Response(CatalogSettingsSerializer(updated).data)

    def _sync(self, flow: str) -> Response:
        try:
            run = sync_request(connection=self.get_object(), flow=flow, trigger=Trigger.API)
        except SyncRefused as refused:
            return Response({"detail": " ".join(refused.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=SYNC_RESPONSES)
    @action(detail=True, methods=["post"], url_path="catalog-refresh")
    def catalog_refresh(self, request, pk=None):
        """Queue a catalog refresh from the store (or return the one already queued or running)."""
        return self._sync(Flow.CATALOG)

    @extend_schema(request=None, responses=SYNC_RESPONSES)
    @action(detail=True, methods=["post"], url_path="stock-sync")
    def stock_sync(self, request, pk=None):
        """Queue a stock push to Miinto (or return the one already queued or running)."""
        return self._sync(Flow.STOCK)

    @extend_schema(request=None, responses={201: FeedCredentialsSerializer})
    @action(detail=True, methods=["post"], url_path="feed-credentials")
    def feed_credentials(self, request, pk=None):
        """Issue new feed credentials: the password is in this answer only; the old one stops working at once."""
        self._idempotency_key = ""  # never kept for a replay: the answer holds a password
        credentials = feed_credentials_rotate(connection=self.get_object())
        return Response(FeedCredentialsSerializer(credentials).data, status=status.HTTP_201_CREATED)


api_routes = [
    ("catalog/products", ProductViewSet, "catalog-product"),
    ("catalog/listings", ListingViewSet, "catalog-listing"),
    ("catalog/price-exports", PriceExportViewSet, "catalog-price-export"),
    ("catalog/connections", CatalogConnectionViewSet, "catalog-connection"),
]
