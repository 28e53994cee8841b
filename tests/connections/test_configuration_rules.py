"""The same settings rules in the dashboard, the API and the admin: Yes/No answers only, a sync interval of at least
a minute, and only an identification attribute the store offers and a shipping service Miinto offers."""

import pytest
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.widgets import CheckboxInput, ChoiceWidget
from django.urls import reverse
from django_scopes import scopes_disabled

from connections.models import MiintoConnection, OrderConfiguration
from tests.factories import UserFactory

CONFIGURATION = {"sync_level": "orders_and_stock", "auto_accept": "False", "price_threshold": "0.97",
                 "reference_price_attribute": "final_price", "default_shipping_provider_id": "", "use_billing_for_shipping": "False",
                 "product_identification_attribute": "id", "sync_from_date": ""}


def _saved(connection) -> OrderConfiguration:
    with scopes_disabled():
        return OrderConfiguration.objects.get(connection=connection)


@pytest.mark.parametrize("field", ["auto_accept", "use_billing_for_shipping"])
def test_the_dashboard_refuses_a_boolean_that_is_neither_yes_nor_no(owner_client, connection, field):
    response = owner_client.post(f"/connections/{connection.pk}/configuration/", {**CONFIGURATION, field: "maybe"})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == ["Select a valid choice. maybe is not one of the available choices."]
    assert getattr(_saved(connection), field) is False


def test_the_dashboard_still_saves_yes_and_no(owner_client, connection):
    data = {**CONFIGURATION, "auto_accept": "True", "use_billing_for_shipping": "False"}
    assert owner_client.post(f"/connections/{connection.pk}/configuration/", data).status_code == 302
    assert (_saved(connection).auto_accept, _saved(connection).use_billing_for_shipping) == (True, False)


def test_the_api_refuses_a_sync_interval_of_zero(api_client, connection):
    response = api_client.patch(f"/api/v1/miinto-connections/{connection.pk}/", {"sync_interval_minutes": 0}, format="json")
    assert response.status_code == 400
    assert response.json() == {"sync_interval_minutes": ["Sync at most once a minute: enter 1 or more minutes."]}
    with scopes_disabled():
        assert MiintoConnection.objects.get(pk=connection.pk).sync_interval_minutes == 5
    assert api_client.patch(f"/api/v1/miinto-connections/{connection.pk}/", {"sync_interval_minutes": 1}, format="json").status_code == 200


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="admin@koongo.example", is_staff=True, is_superuser=True))
    return client


def _as_posted(page) -> dict:
    """What the browser would post back for the admin change page as rendered: every field, every inline."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    data = {}
    for form in forms:
        for bound in form:
            widget = bound.field.widget
            widget = widget.widget if isinstance(widget, RelatedFieldWidgetWrapper) else widget
            for context in widget.subwidgets(bound.html_name, bound.value(), {}):
                for sub in context.get("subwidgets", [context]):  # a MultiWidget (date and time) renders several
                    if isinstance(widget, CheckboxInput):
                        if sub["attrs"].get("checked"):
                            data[sub["name"]] = "on"
                    elif isinstance(widget, ChoiceWidget):
                        if sub.get("selected"):
                            data[sub["name"]] = sub["value"]
                    else:
                        data[sub["name"]] = "" if sub.get("value") is None else sub["value"]
    return data


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("product_identification_attribute", "colour", "Unknown attribute 'colour'. Choose one of: "),
        ("default_shipping_provider_id", "pigeon", "Unknown shipping provider 'pigeon' for this Miinto market."),
        ("sync_interval_minutes", "0", "Sync at most once a minute: enter 1 or more minutes."),
    ],
)
def test_the_admin_refuses_what_the_api_refuses(admin_client, connection, field, value, message):
    url = reverse("admin:connections_miintoconnection_change", args=[connection.pk])
    data = _as_posted(admin_client.get(url))
    key = field if field in data else next(k for k in data if k.endswith(f"-{field}"))
    response = admin_client.post(url, {**data, key: value})
    assert response.status_code == 200  # the change page again, with the error, not a redirect
    page = response.content.decode()
    assert message.replace("'", "&#x27;") in page
    with scopes_disabled():
        saved = MiintoConnection.objects.select_related("order_configuration").get(pk=connection.pk)
    assert (saved.sync_interval_minutes, saved.order_configuration.product_identification_attribute,
            saved.order_configuration.default_shipping_provider_id) == (5, "id", "")


def test_the_admin_saves_an_unchanged_form(admin_client, connection):
    url = reverse("admin:connections_miintoconnection_change", args=[connection.pk])
    data = _as_posted(admin_client.get(url))
    key = next(k for k in data if k.endswith("-price_threshold"))
    response = admin_client.post(url, {**data, key: "1.100"})
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert str(_saved(connection).price_threshold) == "1.1000"
