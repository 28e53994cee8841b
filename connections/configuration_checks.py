"""The configuration checks that need the store's and Miinto's current lists (through selectors, from the cache)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from connections import selectors
from connections.configuration_rules import check_identification_attribute, check_shipping_provider


def configuration_choice_errors(configuration) -> dict[str, list[str]]:
    """Field → messages for a changed attribute or provider the store or Miinto does not offer."""
    saved = type(configuration)._base_manager.filter(pk=configuration.pk).values(
        "product_identification_attribute", "default_shipping_provider_id"
    ).first() or {}
    errors: dict[str, list[str]] = {}
    attribute = configuration.product_identification_attribute
    if attribute != saved.get("product_identification_attribute"):
        try:
            check_identification_attribute(attribute, selectors.identifier_attribute_choices(configuration.connection.store_connection))
        except ValidationError as error:
            errors["product_identification_attribute"] = error.messages
    provider = configuration.default_shipping_provider_id
    if provider != saved.get("default_shipping_provider_id"):
        try:
            check_shipping_provider(provider, selectors.shipping_provider_choices(configuration.connection))
        except ValidationError as error:
            errors["default_shipping_provider_id"] = error.messages
    return errors
