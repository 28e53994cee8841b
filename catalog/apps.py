"""Catalog: the merchant's store products as we see them, their Miinto listings and exported prices, the feed and stock push."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog and stock"
