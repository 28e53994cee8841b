"""The connection page: configuration form validation in the dashboard, audit without secrets, progress, admin."""

import pytest
from auditlog.models import LogEntry

from connections.models import OrderConfiguration
from tests.connections.conftest import MIINTO_PASSWORD


def test_connection_page_shows_status_configuration_and_runs(owner_client, connection):
    page = owner_client.get(f"/connections/{connection.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="sync-orders"' in body and 'id="configuration-form"' in body
    assert "Auto Accept Orders – Price Attribute Threshold" in body
    assert "0.97 accepts an order whose item price is at least 97%" in body


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("price_threshold", "0", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("price_threshold", "2.01", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("price_threshold", "x", "Enter the threshold as a number, e.g. 0.97."),
        ("price_threshold", "0.97255", "Use at most 4 decimals, e.g. 0.9725."),
        ("price_threshold", "10.5", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("sync_from_date", "2021-13-01", "Enter a real date in the format YYYY-MM-DD, e.g. 2021-03-20."),
        ("sync_from_date", "01/03/2021", "Enter a real date in the format YYYY-MM-DD, e.g. 2021-03-20."),
        ("product_identification_attribute", "colour", "Select a valid choice. colour is not one of the available choices."),
        ("default_shipping_provider_id", "pigeon", "Select a valid choice. pigeon is not one of the available choices."),
    ],
)
def test_configuration_form_field_errors_save_nothing(owner_client, connection, field, value, message):
    data = {"sync_level": "orders_and_stock", "auto_accept": "False", "price_threshold": "0.97", "reference_price_attribute": "final_price",
            "default_shipping_provider_id": "", "use_billing_for_shipping": "False", "product_identification_attribute": "id", "sync_from_date": ""}
    response = owner_client.post(f"/connections/{connection.pk}/configuration/", {**data, field: value, "auto_accept": "True"})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert OrderConfiguration.objects.get(connection=connection).auto_accept is False


def test_configuration_form_saves_good_values(owner_client, connection):
    data = {"sync_level": "stock_only", "auto_accept": "True", "price_threshold": "1.2525", "reference_price_attribute": "original_price",
            "default_shipping_provider_id": "", "use_billing_for_shipping": "True", "product_identification_attribute": "sku", "sync_from_date": "2021-03-20"}
    assert owner_client.post(f"/connections/{connection.pk}/configuration/", data).status_code == 302
    saved = OrderConfiguration.objects.get(connection=connection)
    assert (saved.sync_level, saved.auto_accept, str(saved.price_threshold), saved.reference_price_attribute) == ("stock_only", True, "1.2525", "original_price")
    assert (saved.use_billing_for_shipping, saved.product_identification_attribute, saved.sync_from_date.isoformat()) == (True, "sku", "2021-03-20")


def test_changes_are_audited_and_no_secret_reaches_the_audit(owner_client, connection):
    from connections import services

    configuration = OrderConfiguration.objects.get(connection=connection)
    services.order_configuration_update(configuration=configuration, auto_accept=True)
    services.miinto_connection_update_credentials(connection=connection, username=connection.username, password=MIINTO_PASSWORD)
    entries = LogEntry.objects.all()
    changes = [e.changes for e in entries]
    assert any(c.get("auto_accept") == ["False", "True"] for c in changes)
    dump = repr([(e.changes, e.object_repr) for e in entries])
    assert MIINTO_PASSWORD not in dump and "password" not in dump and "channel_token" not in dump and "credentials" not in dump
    assert "access_token" not in dump and "shpat_" not in dump


def test_admin_masks_secrets(client, connection, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-admin-1")
    client.force_login(admin)
    for url in (f"/admin/connections/miintoconnection/{connection.pk}/change/", f"/admin/connections/storeconnection/{connection.store_connection.pk}/change/",
                "/admin/connections/miintoconnection/", "/admin/connections/storeconnection/"):
        body = client.get(url).content.decode()
        assert MIINTO_PASSWORD not in body and "shpat_" not in body, url
    assert "•••••• (encrypted)" in client.get(f"/admin/connections/miintoconnection/{connection.pk}/change/").content.decode()


def test_viewer_sees_the_page_without_buttons_and_cannot_post(client, connection, merchant):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(merchant=merchant, role="viewer").user)
    body = client.get(f"/connections/{connection.pk}/").content.decode()
    assert 'id="sync-orders"' not in body and 'id="save-configuration"' not in body
    assert client.post(f"/connections/{connection.pk}/deactivate/").status_code == 403
    connection.refresh_from_db()
    assert connection.status == "active"


def test_activate_order_synchronization_is_part_of_the_configuration_form(owner_client, connection):
    body = owner_client.get(f"/connections/{connection.pk}/").content.decode()
    assert "Activate Order Synchronization" in body and '<option value="1" selected>Active</option>' in body
    data = {"order_sync_active": "0", "sync_level": "orders_and_stock", "auto_accept": "False", "price_threshold": "0.97",
            "reference_price_attribute": "final_price", "default_shipping_provider_id": "", "use_billing_for_shipping": "False",
            "product_identification_attribute": "id", "sync_from_date": ""}
    assert owner_client.post(f"/connections/{connection.pk}/configuration/", data).status_code == 302
    connection.refresh_from_db()
    assert connection.status == "disabled"
    assert owner_client.post(f"/connections/{connection.pk}/configuration/", {**data, "order_sync_active": "1"}).status_code == 302
    connection.refresh_from_db()
    assert connection.status == "active"


def test_a_refused_activation_is_a_field_error_and_saves_nothing(owner_client, connection):
    from connections import services
    from koongo.accounts.models import Plan

    services.miinto_connection_deactivate(connection=connection)
    connection.merchant.plan = Plan.objects.get(code="free")
    connection.merchant.save()
    data = {"order_sync_active": "1", "sync_level": "orders_and_stock", "auto_accept": "True", "price_threshold": "0.97",
            "reference_price_attribute": "final_price", "default_shipping_provider_id": "", "use_billing_for_shipping": "False",
            "product_identification_attribute": "id", "sync_from_date": ""}
    response = owner_client.post(f"/connections/{connection.pk}/configuration/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["order_sync_active"] == [
        "Your Free plan does not include Miinto order sync. Upgrade your plan to activate this connection."]
    connection.refresh_from_db()
    assert connection.status == "disabled" and OrderConfiguration.objects.get(connection=connection).auto_accept is False
