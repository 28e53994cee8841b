"""The auto-accept threshold is typed with the reader's decimal separator: 0,97 in Danish; in English it is refused."""

from connections.models import OrderConfiguration

FORM = {"sync_level": "orders_and_stock", "auto_accept": "True", "reference_price_attribute": "final_price",
        "default_shipping_provider_id": "", "use_billing_for_shipping": "False", "product_identification_attribute": "id", "sync_from_date": ""}


def _post(client, connection, threshold, language):
    return client.post(f"/connections/{connection.pk}/configuration/", {**FORM, "price_threshold": threshold}, HTTP_ACCEPT_LANGUAGE=language)


def test_a_danish_reader_types_the_threshold_with_a_comma(owner_client, connection):
    assert _post(owner_client, connection, "0,97", "da").status_code == 302
    assert str(OrderConfiguration.objects.get(connection=connection).price_threshold) == "0.9700"
    page = owner_client.get(f"/connections/{connection.pk}/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert 'value="0,9700"' in page and 'inputmode="decimal"' in page  # shown back as a Dane writes it


def test_in_english_a_comma_gets_a_field_error_and_saves_nothing(owner_client, connection):
    OrderConfiguration.objects.filter(connection=connection).update(price_threshold="1.1")
    response = _post(owner_client, connection, "0,97", "en")
    assert response.status_code == 400
    assert response.context["form"].errors["price_threshold"] == ["Enter the threshold as a number, e.g. 0.97."]
    assert str(OrderConfiguration.objects.get(connection=connection).price_threshold) == "1.1000"
    assert _post(owner_client, connection, "0.97", "en").status_code == 302
