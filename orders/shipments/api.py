"""REST API for shipments, Mark as shipped, label links, order comments and carrier mappings (`shipment_api_routes`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from connections import remote_choices
from connections.selectors import miinto_connections, shipping_provider_choices
from koongo.api import MerchantViewSet
from koongo.http import HttpError
from koongo.idempotency import IdempotentWritesMixin
from orders.comments import comment_add
from orders.shipments import selectors
from orders.shipments.carrier_mapping import carrier_mapping_delete, carrier_mapping_set
from orders.shipments.labels import label_link_revoke
from orders.shipments.serializers import (
    CarrierMappingSerializer,
    CommentSerializer,
    LabelLinkSerializer,
    MarkShippedSerializer,
    ProviderSerializer,
    ShipmentSerializer,
)
from orders.shipments.services import mark_as_shipped_check, shipment_mark, shipment_send_now


def actor_name(request) -> str:
    key = getattr(request.actor, "key", None)
    return f"api-key:{key.prefix}" if key is not None else f"user:{request.user.get_username()}"


class MiintoUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Miinto did not answer with the shipping providers of this order; try again shortly."
    default_code = "miinto_unavailable"


class ProvidersNotReady(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Miinto's shipping providers for this market are being fetched; try again in a few seconds."
    default_code = "providers_not_ready"
    wait = 5  # DRF's handler turns this into Retry-After


class OrderChildMixin:
    """Views under `/orders/{order_pk}/`: the order is looked up first, so another merchant's order answers 404."""

    def get_order(self):
        if not hasattr(self, "_order"):
            self._order = selectors.order(self.merchant, self.kwargs["order_pk"])
        return self._order

    def list(self, request, *args, **kwargs):
        self.get_order()
        return super().list(request, *args, **kwargs)


class OrderShipmentViewSet(IdempotentWritesMixin, OrderChildMixin, mixins.ListModelMixin, MerchantViewSet):
    """An order's shipments with provider, tracking and state; POST marks a Stock only order shipped."""

    serializer_class = ShipmentSerializer

    def merchant_queryset(self):
        return selectors.shipments(self.merchant, self.get_order())

    @extend_schema(request=MarkShippedSerializer, responses={201: ShipmentSerializer})
    def create(self, request, *args, **kwargs):
        """Mark as shipped (Stock only): sent to Miinto at once; a provider outside Miinto's list is a field error."""
        order = self.get_order()
        payload = MarkShippedSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            providers = selectors.order_providers(order)
        except HttpError as error:
            raise MiintoUnavailable() from error
        provider, positions = mark_as_shipped_check(
            order=order,
            providers=providers,
            provider_id=data["provider_id"],
            tracking_number=data["tracking_number"],
            position_ids=data["position_ids"],
        )
        shipment = shipment_mark(
            merchant=self.merchant,
            order=order,
            provider=provider,
            tracking_number=data["tracking_number"],
            tracking_url=data["tracking_url"],
            position_ids=positions,
            actor=actor_name(request),
        )
        return Response(ShipmentSerializer(shipment_send_now(shipment)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ProviderSerializer(many=True), 503: None})
    @action(detail=False, methods=["get"], pagination_class=None)
    def providers(self, request, *args, **kwargs):
        """Miinto's shipping providers of the order's market: what Mark as shipped accepts.

        Answered from a cache refreshed in the background, never by a call to Miinto while the client waits. Before the
        first refresh has answered it is 503 with Retry-After (the refresh is queued), so clients simply retry.
        """
        cached = remote_choices.market_providers(self.get_order().connection)
        if cached.items is None:
            raise ProvidersNotReady()
        return Response([{"id": provider_id, "name": name} for provider_id, name in cached.items])


class OrderLabelViewSet(OrderChildMixin, mixins.ListModelMixin, MerchantViewSet):
    """The order's label links (capability URLs) for authorised users; revoked links have no URL."""

    serializer_class = LabelLinkSerializer

    def merchant_queryset(self):
        return selectors.label_links(self.merchant, self.get_order())


class LabelLinkViewSet(IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantViewSet):
    """Every label link of the merchant; revoke one for good."""

    serializer_class = LabelLinkSerializer

    def merchant_queryset(self):
        return selectors.label_links(self.merchant)

    @extend_schema(request=None, responses=LabelLinkSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """From now on the link answers 404, exactly like a wrong token."""
        link = label_link_revoke(merchant=self.merchant, link=self.get_object(), by=actor_name(request))
        return Response(LabelLinkSerializer(selectors.label_link(self.merchant, link.pk)).data)


class OrderCommentViewSet(IdempotentWritesMixin, OrderChildMixin, mixins.ListModelMixin, MerchantViewSet):
    """The order's Comment tab: Koongo's label links and the merchant's own comments."""

    serializer_class = CommentSerializer

    def merchant_queryset(self):
        return selectors.comments(self.merchant, self.get_order())

    @extend_schema(request=CommentSerializer, responses={201: CommentSerializer})
    def create(self, request, *args, **kwargs):
        order = self.get_order()
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        comment = comment_add(
            merchant=self.merchant, order=order, author=actor_name(request), body=payload.validated_data.get("body", "")
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CarrierMappingViewSet(
    IdempotentWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, MerchantViewSet
):
    """Store carrier → Miinto provider, per connection; `?connection=<id>` filters. Unmapped carriers match by name, then default."""

    serializer_class = CarrierMappingSerializer

    def merchant_queryset(self):
        found = selectors.carrier_mappings(self.merchant)
        connection = self.request.query_params.get("connection")
        if connection:
            if not connection.isdigit():
                raise ValidationError({"connection": ["A connection id is a number."]})
            found = found.filter(connection_id=int(connection))
        return found

    def _save(self, request, mapping=None):
        payload = CarrierMappingSerializer(instance=mapping, data=request.data, partial=mapping is not None)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        connection_id = data.get("connection_id", mapping.connection_id if mapping else None)
        connection = miinto_connections(self.merchant).filter(pk=connection_id).first()
        if connection is None or (mapping is not None and connection.pk != mapping.connection_id):
            raise ValidationError({"connection": ["Not one of your Miinto connections (a mapping cannot move to another)."]})
        providers = dict(shipping_provider_choices(connection))
        provider_id = data.get("provider_id", mapping.provider_id if mapping else "")
        if provider_id not in providers:
            listed = ", ".join(providers) or "none (Miinto did not answer; try again)"
            raise ValidationError(
                {"provider_id": [f"{provider_id!r} is not one of Miinto's providers for this market: {listed}."]}
            )
        carrier = data.get("carrier", mapping.carrier if mapping else "")
        return carrier_mapping_set(
            merchant=self.merchant,
            connection=connection,
            carrier=carrier,
            provider_id=provider_id,
            provider_name=providers[provider_id],
            mapping=mapping,
        )

    def create(self, request, *args, **kwargs):
        mapping = self._save(request)
        return Response(CarrierMappingSerializer(mapping).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        mapping = self._save(request, self.get_object())
        return Response(CarrierMappingSerializer(mapping).data)

    def perform_destroy(self, instance):
        carrier_mapping_delete(merchant=self.merchant, mapping=instance)


shipment_api_routes = [
    (r"orders/(?P<order_pk>\d+)/shipments", OrderShipmentViewSet, "order-shipment"),
    (r"orders/(?P<order_pk>\d+)/labels", OrderLabelViewSet, "order-label"),
    (r"orders/(?P<order_pk>\d+)/comments", OrderCommentViewSet, "order-comment"),
    ("labels", LabelLinkViewSet, "label"),
    ("carrier-mappings", CarrierMappingViewSet, "carrier-mapping"),
]
