"""Store products as we see them, their listing per Miinto connection, the history of exported prices, each connection's
feed and stock settings, and Miinto's Product Map."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import MiintoConnection, StoreConnection
from koongo.accounts.tenancy import TenantModel


class Gender(models.TextChoices):
    MALE = "M", _("Men")
    FEMALE = "F", _("Women")
    UNISEX = "U", _("Unisex")


NO_VARIANT_PREFIX = "product:"


def catalog_key(product_id: str, variant_id: str | None) -> str:
    """A store item's key in our catalog (`Product.store_variant_id`): its variant id, or `product:<id>` without variants.

    A product without variants is keyed apart from every variant: PrestaShop's product and combination ids are separate
    id spaces, so product 7 and combination 7 (of product 3) are two items that plain ids would merge.
    """
    return variant_id or f"{NO_VARIANT_PREFIX}{product_id}"


class Product(TenantModel):
    """One store variant the merchant trades on Miinto; never deleted while orders may reference it."""

    # No index of its own: every composite index below starts with it (a feed pull writes 100,000 rows past these).
    store_connection = models.ForeignKey(StoreConnection, on_delete=models.CASCADE, related_name="products", db_index=False)
    store_product_id = models.CharField(max_length=100)
    # The catalog key (`catalog_key`), not always the store's id: read the variant back with `store_variant`.
    store_variant_id = models.CharField(max_length=100, help_text=_("The store's variant id, or product:<product id> without variants"))
    sku = models.CharField(max_length=200, blank=True)
    gtin = models.CharField(max_length=20, blank=True)
    identifiers = models.JSONField(default=dict, blank=True, help_text=_("Identifier attribute code → value"))
    title = models.CharField(max_length=500)
    brand = models.CharField(max_length=149, blank=True)
    color = models.CharField(max_length=254, blank=True)
    size = models.CharField(max_length=254, blank=True)
    category = models.CharField(max_length=500, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    image_urls = models.JSONField(default=list, blank=True)
    material = models.CharField(max_length=500, blank=True)
    made_in = models.CharField(max_length=2, blank=True)
    description = models.TextField(blank=True)
    stock = models.IntegerField(null=True, blank=True)
    final_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    original_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_currency = models.CharField(max_length=3, blank=True)
    prices_include_tax = models.BooleanField(null=True, help_text=_("Whether the store reported its prices with tax included"))
    price_derivation = models.CharField(max_length=300, blank=True, help_text=_("How a net store price became incl. tax"))
    item_group_id = models.CharField(max_length=200, blank=True)
    style_id = models.CharField(max_length=200, blank=True)
    # The Miinto stock key (group, brand, color, size) as exported, copied here when the store is about to change it:
    # changing it on Miinto would take the item offline (§12.2; catalog.key_freeze).
    exported_key = models.JSONField(null=True, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True, help_text=_("Gone from the store; kept because orders reference it"))

    class Meta:
        ordering = ["title", "size"]
        constraints = [
            models.UniqueConstraint(fields=["store_connection", "store_variant_id"], name="product_once_per_store_variant")
        ]
        indexes = [
            models.Index(fields=["store_connection", "sku"], name="product_sku_idx"),
            models.Index(fields=["store_connection", "gtin"], name="product_gtin_idx"),
            models.Index(fields=["store_connection", "store_product_id"], name="product_store_product_idx"),
            models.Index(fields=["merchant", "item_group_id"], name="product_group_idx"),
            # The feed reads a store's products in primary-key chunks (keyset paging).
            models.Index(fields=["store_connection", "id"], name="product_feed_order_idx"),
        ]

    def __str__(self):
        return f"{self.title} {self.size}".strip()

    @property
    def store_variant(self) -> str | None:
        """The store's variant id; None for a product without variants."""
        return None if self.store_variant_id == catalog_key(self.store_product_id, None) else self.store_variant_id

    @property
    def store_item_id(self) -> str:
        """The store's own id of this item: its variant id, or its product id without variants."""
        return self.store_variant or self.store_product_id

    def identifier(self, attribute: str) -> str | None:
        """The value of an identifier attribute (id, sku, gtin or a custom one)."""
        # The adapter's own value wins: e.g. Shopify's `id` attribute is the numeric id, the variant id a gid.
        builtin = {"id": self.store_variant_id, "sku": self.sku, "gtin": self.gtin}
        return self.identifiers.get(attribute) or builtin.get(attribute) or None

    def stock_key(self) -> dict:
        """The Miinto stock key: the frozen one once exported, else the current values."""
        return self.exported_key or {"group": self.item_group_id, "brand": self.brand, "color": self.color, "size": self.size}


class ProductListing(TenantModel):
    """A product as one Miinto connection sees it: in the feed or not, and what we last exported."""

    # Indexed by the unique (product, connection) and by (connection, in_feed), not on their own.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="listings", db_index=False)
    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="listings", db_index=False)
    in_feed = models.BooleanField(default=False)
    mapping_problem = models.CharField(max_length=300, blank=True, help_text=_("Why the feed left the row out, or what it changed"))
    stock_problem = models.CharField(max_length=300, blank=True, help_text=_("What Miinto's stock API said about the item"))
    exported_stock = models.IntegerField(null=True, blank=True)
    exported_stock_at = models.DateTimeField(null=True, blank=True)
    exported_retail_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    exported_discount_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    exported_currency = models.CharField(max_length=3, blank=True)
    exported_price_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "connection"], name="one_listing_per_product_and_connection")]
        indexes = [models.Index(fields=["connection", "in_feed"], name="listing_feed_idx")]

    def __str__(self):
        return f"{self.product} on {self.connection}"


class PriceExport(TenantModel):
    """History of a listing's exported price, written only when it changes (Miinto pulls every 30 minutes)."""

    listing = models.ForeignKey(ProductListing, on_delete=models.CASCADE, related_name="price_exports", db_index=False)  # see the index
    retail_price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    discount_price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    currency = models.CharField(max_length=3)
    exported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-exported_at", "-pk"]
        indexes = [models.Index(fields=["listing", "-exported_at"], name="price_export_latest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(retail_price__isnull=False) | Q(discount_price__isnull=False), name="price_export_has_a_price"
            )
        ]

    def __str__(self):
        return f"{self.discount_price or self.retail_price} {self.currency}"


DEFAULT_FULL_REASSERT_HOURS = 24


class CatalogSettings(TenantModel):
    """What the catalog keeps per Miinto connection: the feed's fixed URL and Basic Auth credentials, the stock buffer,
    the full-reassert schedule, and what the last feed pull and Product Map fetch saw."""

    connection = models.OneToOneField(MiintoConnection, on_delete=models.CASCADE, related_name="catalog_settings")
    feed_token = models.CharField(max_length=64, unique=True, help_text=_("The unguessable part of the fixed feed URL"))
    feed_username = models.CharField(max_length=64)
    # SHA-256 of a 256-bit random password: a slow hash adds nothing for a secret this long; shown once, never stored plain.
    feed_password_hash = models.CharField(max_length=64, blank=True)
    credentials_issued_at = models.DateTimeField(null=True, blank=True)
    stock_buffer = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(100_000)], help_text=_("Units held back: Miinto sees max(0, stock − buffer)")
    )
    full_reassert_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_FULL_REASSERT_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("Hours between pushes of every in-feed item's stock, not only the changes"),
    )
    last_full_reassert_at = models.DateTimeField(null=True, blank=True)
    feed_served_at = models.DateTimeField(null=True, blank=True)
    feed_rows = models.PositiveIntegerField(default=0)
    feed_left_out = models.PositiveIntegerField(default=0)
    product_map_fetched_at = models.DateTimeField(null=True, blank=True)
    product_map_entries = models.PositiveIntegerField(default=0)
    product_map_note = models.CharField(max_length=300, blank=True, help_text=_("Why the last Product Map fetch found none"))

    class Meta:
        verbose_name_plural = _("catalog settings")

    def __str__(self):
        return f"Catalog settings of {self.connection}"

    @property
    def has_credentials(self) -> bool:
        return bool(self.feed_password_hash)

    def full_reassert_due(self, now) -> bool:
        return self.last_full_reassert_at is None or now - self.last_full_reassert_at >= timedelta(hours=self.full_reassert_hours)


class ProductMapEntry(TenantModel):
    """One row of Miinto's Product Map for a shop (§6): a Miinto item id and gtin, and the feed id they belong to."""

    connection = models.ForeignKey(MiintoConnection, on_delete=models.CASCADE, related_name="product_map", db_index=False)  # unique below
    miinto_item_id = models.CharField(max_length=64)
    feed_id = models.CharField(max_length=200)
    gtin = models.CharField(max_length=20, blank=True)
    style_id = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = _("product map entries")
        constraints = [models.UniqueConstraint(fields=["connection", "miinto_item_id"], name="product_map_item_once")]
        indexes = [models.Index(fields=["connection", "gtin"], name="product_map_gtin_idx")]

    def __str__(self):
        return f"{self.miinto_item_id} → {self.feed_id}"
