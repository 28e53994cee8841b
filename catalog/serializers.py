"""API representations of products, listings, price exports and each connection's catalog settings (feed, stock)."""

from __future__ import annotations

from rest_framework import serializers

from catalog.feed_access import feed_url
from catalog.models import CatalogSettings, PriceExport, Product, ProductListing


class ListingSerializer(serializers.ModelSerializer):
    """What one Miinto connection last got for a product; `connection` is the Miinto connection's id."""

    class Meta:
        model = ProductListing
        fields = [
            "id", "product", "connection", "in_feed", "mapping_problem", "stock_problem", "exported_stock", "exported_stock_at",
            "exported_retail_price", "exported_discount_price", "exported_currency", "exported_price_at",
        ]  # fmt: skip
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    """A store variant as the catalog holds it, with its listing on every Miinto connection."""

    listings = ListingSerializer(many=True, read_only=True)
    stock_key = serializers.SerializerMethodField(
        help_text="Miinto's stock key (group, brand, color, size); frozen once exported"
    )
    # The store's own id, as this field always said: not the catalog key, which sets products without variants apart.
    store_variant_id = serializers.CharField(
        source="store_item_id", read_only=True, help_text="The store's variant id (its product id without variants)"
    )

    class Meta:
        model = Product
        fields = [
            "id", "store_connection", "store_product_id", "store_variant_id", "sku", "gtin", "identifiers", "title", "brand", "color",
            "size", "category", "gender", "image_urls", "stock", "final_price", "original_price", "price_currency",
            "prices_include_tax", "price_derivation", "item_group_id", "style_id", "stock_key", "last_seen_at", "removed_at",
            "listings",
        ]  # fmt: skip
        read_only_fields = fields

    def get_stock_key(self, product: Product) -> dict:
        return product.stock_key()


class PriceExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceExport
        fields = ["id", "listing", "retail_price", "discount_price", "currency", "exported_at"]
        read_only_fields = fields


class CatalogSettingsSerializer(serializers.ModelSerializer):
    """A connection's feed (URL and user; the password is only ever in the rotate answer) and stock settings."""

    feed_url = serializers.SerializerMethodField()
    credentials_issued = serializers.BooleanField(source="has_credentials", read_only=True)

    class Meta:
        model = CatalogSettings
        fields = [
            "connection", "feed_url", "feed_username", "credentials_issued", "credentials_issued_at", "stock_buffer",
            "full_reassert_hours", "last_full_reassert_at", "feed_served_at", "feed_rows", "feed_left_out",
            "product_map_fetched_at", "product_map_entries", "product_map_note",
        ]  # fmt: skip
        read_only_fields = [name for name in fields if name not in ("stock_buffer", "full_reassert_hours")]

    def get_feed_url(self, catalog_settings: CatalogSettings) -> str:
        return feed_url(catalog_settings)


class FeedCredentialsSerializer(serializers.Serializer):
    """Shown once: paste these into Miinto's feed settings. Rotating again makes them stop working."""

    url = serializers.CharField()
    username = serializers.CharField()
    password = serializers.CharField()
