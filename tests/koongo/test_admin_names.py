"""The admin names its outbox and polling tables in plain English plurals, never "pushs" or "fetchs"."""


def test_admin_index_uses_proper_plurals(admin_client):
    body = admin_client.get("/admin/").content.decode()
    for name in ("Decision pushes", "Store pushes", "Shipment pushes", "Label note pushes", "Label fetches", "Refund pushes",
                 "RMA decision pushes", "RMA request pushes"):
        assert f">{name}<" in body, name
    assert "pushs" not in body.lower() and "fetchs" not in body.lower()


def test_every_page_has_a_favicon_that_is_served(client):
    from django.contrib.staticfiles import finders

    body = client.get("/login/").content.decode()
    assert '<link rel="icon" type="image/svg+xml" href="/static/koongo/favicon.svg">' in body
    path = finders.find("koongo/favicon.svg")
    assert path and open(path).read().startswith("<svg")


def test_one_api_keys_section_in_the_admin_and_in_the_dashboard(admin_client, owner_client):
    """The library's own APIKey admin is unregistered: the merchants' keys have one home in each place."""
    admin_index = admin_client.get("/admin/").content.decode()
    assert admin_index.count(">API keys<") == 1 and "/admin/rest_framework_api_key/" not in admin_index
    settings_page = owner_client.get("/settings/").content.decode()
    assert settings_page.count(">API keys<") == 1
    assert "api-key" not in owner_client.get("/").content.decode().split("<main")[0].lower()  # no second entry in the nav
