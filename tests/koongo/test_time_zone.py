"""One time zone on the dashboard, the merchant's, labelled; never a raw ISO timestamp."""

import re
from datetime import UTC, datetime
from pathlib import Path

from django.utils import timezone
from django.utils.html import strip_tags

from koongo.timefmt import when, when_seconds_text, when_text

ROOT = Path(__file__).resolve().parents[2]


def test_when_formats_iso_strings_and_datetimes_in_the_active_zone():
    with timezone.override("Europe/Copenhagen"):
        assert when_text("2026-12-05T17:59:02.579373+00:00") == "2026-12-05 18:59 CET"
        assert when_text(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "2026-07-01 12:00 CEST"
    with timezone.override("America/New_York"):
        assert when_text("2026-12-05T17:59:02+00:00") == "2026-12-05 12:59 EST"
    assert when_text(None, "never") == "never" and when_text("", "never") == ""


def test_when_seconds_keeps_the_zone_label():
    with timezone.override("Europe/Copenhagen"):
        assert when_seconds_text(datetime(2026, 12, 5, 17, 59, 2, tzinfo=UTC)) == "2026-12-05 18:59:02 CET"
    assert when_seconds_text(None) == "—"


def test_no_dashboard_template_formats_a_time_without_its_zone():
    """`|date:` prints no zone label; every time goes through `when`/`when_seconds`, which name the merchant's zone."""
    offenders = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in ROOT.glob("*/templates/**/*.html")
        for match in re.findall(r"\|date:\"[^\"]*[HGgh][^\"]*\"", path.read_text())
    ]
    assert offenders == []


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
    assert "Times are shown in Europe/Stockholm" in strip_tags(body)  # the zone is data, in a translate="no" span


def test_the_filters_mark_the_time_as_data():
    with timezone.override("Europe/Copenhagen"):
        assert when("2026-12-05T17:59:02+00:00") == '<span translate="no">2026-12-05 18:59 CET</span>'
