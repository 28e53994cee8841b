"""The store page states each platform's limitations one by one, and the capabilities it lacks."""

from html import escape

from connections.models import StoreConnection
from platforms import registry


def test_a_magento_store_page_lists_each_limitation_and_shows_orders_claim_no_stock(owner_client, connection):
    store = connection.store_connection
    magento = registry.adapter_class("magento2")
    StoreConnection.objects.filter(pk=store.pk).update(
        platform="magento2", capabilities=sorted(str(c) for c in magento.capabilities)
    )
    body = owner_client.get(f"/stores/{store.pk}/").content.decode()
    for text in magento.limitations:
        assert f"<li>{escape(text)}</li>" in body
    assert "— order_claims_stock" in body
    assert "('" not in body  # the limitations are not rendered as a Python tuple


def test_a_prestashop_store_page_says_what_the_merchant_sees_of_shipping_and_payment_error(owner_client, connection):
    store = connection.store_connection
    prestashop = registry.adapter_class("prestashop")
    StoreConnection.objects.filter(pk=store.pk).update(
        platform="prestashop", capabilities=sorted(str(c) for c in prestashop.capabilities)
    )
    body = owner_client.get(f"/stores/{store.pk}/").content.decode()
    assert "the shipping Miinto charged is written in the order&#x27;s note, not in its total" in body
    assert "✓ order_claims_stock" in body
