"""API serializers for connections and their Orders configuration; secrets are write-only and never returned."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import serializers

from connections import thresholds
from connections.configuration_rules import SYNC_INTERVAL_VALIDATORS, check_identification_attribute, check_shipping_provider
from connections.forms import DATE_ERROR
from connections.models import MiintoConnection, MiintoEnvironmentName, OrderConfiguration, StoreConnection


class StoreConnectionSerializer(serializers.ModelSerializer):
    credentials = serializers.DictField(write_only=True, help_text="Fields of the platform's credentials model")

    class Meta:
        model = StoreConnection
        fields = [
            "id",
            "platform",
            "name",
            "credentials",
            "shop_url",
            "currency",
            "prices_include_tax",
            "capabilities",
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "created_at",
            "archived_at",
        ]
        read_only_fields = [
            "shop_url",
            "currency",
            "prices_include_tax",
            "capabilities",
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "created_at",
            "archived_at",
        ]

    def validate(self, data):
        """Location fields (e.g. `base_url`) say where Koongo connects: set by Koongo's settings, never sent by a client."""
        from platforms import registry

        try:
            model = registry.credentials_model(data.get("platform", ""))
        except registry.UnknownPlatform:
            return data  # the service reports the platform on its field
        sent = sorted(set(data.get("credentials", {})) & set(model.location_fields))
        if sent:
            raise serializers.ValidationError({name: [_("This field is set by Koongo and cannot be sent.")] for name in sent})
        return data


class AvailableStoresRequestSerializer(serializers.Serializer):
    environment = serializers.ChoiceField(choices=MiintoEnvironmentName.choices, default=MiintoEnvironmentName.PRODUCTION)
    username = serializers.CharField(max_length=200)
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class AvailableStoreSerializer(serializers.Serializer):
    shop_id = serializers.CharField()
    name = serializers.CharField()
    market = serializers.CharField()
    market_name = serializers.CharField()
    currency = serializers.CharField()


class MiintoConnectionSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    activate = serializers.BooleanField(write_only=True, default=False)
    store_connection = serializers.PrimaryKeyRelatedField(
        queryset=StoreConnection._base_manager.none(), required=False, allow_null=True
    )
    paused = serializers.BooleanField(source="is_paused", read_only=True)

    class Meta:
        model = MiintoConnection
        fields = [
            "id",
            "environment",
            "username",
            "password",
            "shop_id",
            "market",
            "shop_name",
            "currency",
            "store_connection",
            "status",
            "activate",
            "paused",
            "paused_reason",
            "paused_source",
            "paused_at",
            "stale_since",
            "stale_reason",
            "next_sync_at",
            "last_synced",
            "created_at",
            "archived_at",
        ]
        read_only_fields = [
            "market",
            "shop_name",
            "currency",
            "status",
            "paused_reason",
            "paused_source",
            "paused_at",
            "stale_since",
            "stale_reason",
            "next_sync_at",
            "last_synced",
            "created_at",
            "archived_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        merchant = getattr(view, "merchant", None)
        if merchant is not None:
            # Per request, never in the class body: that queryset would be evaluated outside any tenant scope.
            self.fields["store_connection"].queryset = StoreConnection.objects.filter(merchant=merchant, archived_at__isnull=True)


class MiintoConnectionUpdateSerializer(serializers.ModelSerializer):
    """What PATCH may change: the linked store and the sync interval (credentials go through their own action)."""

    store_connection = serializers.PrimaryKeyRelatedField(
        queryset=StoreConnection._base_manager.none(), allow_null=True, required=False
    )
    # Declared so the model's own validators (and their message) apply, not DRF's generic min_value.
    sync_interval_minutes = serializers.IntegerField(required=False, max_value=32767, validators=SYNC_INTERVAL_VALIDATORS)

    class Meta:
        model = MiintoConnection
        fields = ["store_connection", "sync_interval_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        merchant = getattr(self.context.get("view"), "merchant", None)
        if merchant is not None:
            self.fields["store_connection"].queryset = StoreConnection.objects.filter(merchant=merchant, archived_at__isnull=True)


class PauseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, default="Paused by the merchant", help_text="Shown wherever the pause is.")


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=200)
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class ThresholdField(serializers.DecimalField):
    """Validated by `thresholds.threshold_error` (truthful messages), always shown with its 4 decimals."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=None, decimal_places=None, error_messages=thresholds.ERROR_MESSAGES, **kwargs)

    def to_representation(self, value):
        return str(thresholds.normalized(Decimal(value)))


class OrderConfigurationSerializer(serializers.ModelSerializer):
    """The Orders configuration; attribute and provider are checked against the store's and Miinto's lists."""

    price_threshold = ThresholdField()
    order_sync_active = serializers.BooleanField(required=False, help_text="Activate Order Synchronization (the connection's status).")
    sync_from_date = serializers.DateField(
        required=False, allow_null=True, input_formats=["%Y-%m-%d"], error_messages={"invalid": DATE_ERROR}
    )

    class Meta:
        model = OrderConfiguration
        fields = [
            "sync_level",
            "auto_accept",
            "order_sync_active",
            "price_threshold",
            "reference_price_attribute",
            "default_shipping_provider_id",
            "default_shipping_provider_name",
            "use_billing_for_shipping",
            "product_identification_attribute",
            "sync_from_date",
            "updated_at",
        ]
        read_only_fields = ["default_shipping_provider_name", "updated_at"]

    def validate_price_threshold(self, value):
        if error := thresholds.threshold_error(value):
            raise serializers.ValidationError(error)
        return thresholds.normalized(value)

    def validate_product_identification_attribute(self, value):
        check_identification_attribute(value, self.context["attributes"])
        return value

    def validate_default_shipping_provider_id(self, value):
        check_shipping_provider(value, self.context["providers"])
        return value

    def validate(self, data):
        if "default_shipping_provider_id" in data:
            data["default_shipping_provider_name"] = dict(self.context["providers"]).get(data["default_shipping_provider_id"], "")
        return data
