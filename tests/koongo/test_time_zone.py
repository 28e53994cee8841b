"""One time zone on the dashboard, the merchant's, labelled; never a raw ISO timestamp."""

from datetime import UTC, datetime

from django.utils import timezone

from koongo.timefmt import when


def test_when_formats_iso_strings_and_datetimes_in_the_active_zone():
    with timezone.override("Europe/Copenhagen"):
        assert when("2026-12-05T17:59:02.579373+00:00") == "2026-12-05 18:59 CET"
        assert when(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "2026-07-01 12:00 CEST"
    with timezone.override("America/New_York"):
        assert when("2026-12-05T17:59:02+00:00") == "2026-12-05 12:59 EST"
    assert when(None, "never") == "never" and when("", "never") == ""


def test_the_connections_list_shows_the_last_sync_in_the_merchants_zone(owner_client, merchant):
    from connections.models import MiintoConnection

    merchant.timezone = "Europe/Stockholm"
    merchant.save()
    from koongo.accounts.tenancy import merchant_scope

    with merchant_scope(merchant):
        MiintoConnection.objects.create(merchant=merchant, environment="simulator", username="u", password="p", shop_id="1-m!i!s-045-1",
                                        market="SE", currency="SEK", last_synced={"orders": "2026-12-05T17:59:02.579373+00:00"})
    body = owner_client.get("/connections/").content.decode()
    assert "2026-12-05 18:59 CET" in body and "2026-12-05T17:59:02" not in body
    assert "Times are shown in Europe/Stockholm" in body
