"""Django admin for products, listings, price exports, catalog settings and Product Map copies, across merchants."""

from django.contrib import admin, messages

from catalog.models import CatalogSettings, PriceExport, Product, ProductListing, ProductMapEntry
from connections.models import Flow, Trigger
from connections.sync.runs import SyncRefused, sync_request
from koongo.accounts.tenancy import merchant_scope


class ListingInline(admin.TabularInline):
    model = ProductListing
    extra = 0
    fields = ["connection", "in_feed", "exported_stock", "exported_retail_price", "exported_discount_price", "exported_currency",
              "exported_price_at", "mapping_problem", "stock_problem"]  # fmt: skip
    readonly_fields = fields
    can_delete = False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "size",
        "merchant",
        "store_connection",
        "sku",
        "gtin",
        "stock",
        "final_price",
        "price_currency",
        "removed_at",
    ]
    list_filter = ["store_connection__platform", "price_currency", "gender"]
    search_fields = ["title", "sku", "gtin", "store_variant_id", "item_group_id", "merchant__name"]
    list_select_related = ["merchant", "store_connection"]
    # The key columns mirror the store (a refresh overwrites them) and are frozen only by a refresh (catalog.key_freeze).
    readonly_fields = ["item_group_id", "brand", "color", "size", "exported_key", "last_seen_at", "removed_at"]
    raw_id_fields = ["store_connection"]
    inlines = [ListingInline]


class PriceExportInline(admin.TabularInline):
    model = PriceExport
    extra = 0
    fields = ["exported_at", "retail_price", "discount_price", "currency"]
    readonly_fields = fields
    can_delete = False


@admin.register(ProductListing)
class ProductListingAdmin(admin.ModelAdmin):
    list_display = ["product", "merchant", "connection", "in_feed", "exported_stock", "exported_discount_price", "exported_currency",
                    "exported_price_at", "mapping_problem", "stock_problem"]  # fmt: skip
    list_filter = ["in_feed", "exported_currency", "connection__market"]
    search_fields = ["product__title", "product__sku", "product__gtin", "merchant__name", "connection__shop_id"]
    list_select_related = ["product", "merchant", "connection"]
    raw_id_fields = ["product", "connection"]
    inlines = [PriceExportInline]


@admin.register(PriceExport)
class PriceExportAdmin(admin.ModelAdmin):
    list_display = ["listing", "merchant", "retail_price", "discount_price", "currency", "exported_at"]
    list_filter = ["currency"]
    search_fields = ["listing__product__title", "listing__product__sku", "merchant__name"]
    list_select_related = ["listing__product", "listing__connection", "merchant"]
    raw_id_fields = ["listing"]
    date_hierarchy = "exported_at"


def _queue(flow: str, label: str):
    def queue(modeladmin, request, queryset):
        queued = 0
        for catalog_settings in queryset.select_related("connection__merchant"):
            connection = catalog_settings.connection
            with merchant_scope(connection.merchant):
                try:
                    sync_request(connection=connection, flow=flow, trigger=Trigger.ADMIN)
                    queued += 1
                except SyncRefused as refused:
                    modeladmin.message_user(request, f"{connection}: {' '.join(refused.messages)}", messages.WARNING)
        modeladmin.message_user(request, f"{label} queued for {queued} connection(s).")

    queue.short_description = f"Queue a {label.lower()}"
    queue.__name__ = f"queue_{flow}"
    return queue


@admin.register(CatalogSettings)
class CatalogSettingsAdmin(admin.ModelAdmin):
    list_display = ["connection", "merchant", "feed_username", "credentials_issued_at", "stock_buffer", "full_reassert_hours",
                    "feed_served_at", "feed_rows", "feed_left_out", "product_map_entries"]  # fmt: skip
    search_fields = ["connection__shop_id", "connection__shop_name", "merchant__name"]
    list_select_related = ["connection", "merchant"]
    # The token opens the feed URL and the hash stands for the password: neither is shown.
    exclude = ["feed_token", "feed_password_hash"]
    readonly_fields = ["connection", "feed_username", "credentials_issued_at", "last_full_reassert_at", "feed_served_at", "feed_rows",
                       "feed_left_out", "product_map_fetched_at", "product_map_entries", "product_map_note"]  # fmt: skip
    actions = [_queue(Flow.CATALOG, "Catalog refresh"), _queue(Flow.STOCK, "Stock push")]

    def has_add_permission(self, request):
        return False


@admin.register(ProductMapEntry)
class ProductMapEntryAdmin(admin.ModelAdmin):
    list_display = ["miinto_item_id", "feed_id", "gtin", "style_id", "connection", "merchant", "fetched_at"]
    search_fields = ["miinto_item_id", "feed_id", "gtin", "merchant__name"]
    list_select_related = ["connection", "merchant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
