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
