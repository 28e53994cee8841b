"""Amounts and times in the reader's locale: Babel's currency formats, and the locale's short date and time in the
merchant's zone with its label; English keeps the sortable `2026-12-05 18:59 CET`."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from koongo.money import money_text
from koongo.timefmt import when_seconds_text, when_text

SHIPPED = datetime(2026, 12, 5, 17, 59, 2, tzinfo=UTC)  # 18:59:02 in Copenhagen


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("da", "1234.50", "DKK", "1.234,50\xa0kr."),
        ("en", "1234.50", "EUR", "€1,234.50"),
        ("da", "1234.5", "EUR", "1.234,50\xa0€"),
        ("sv", "1234.5", "SEK", "1\xa0234,50\xa0kr"),
        ("pl", "1234.5", "PLN", "1\xa0234,50\xa0zł"),
    ],
)
def test_amounts_in_the_readers_locale(language, amount, currency, shown):
    with translation.override(language):
        assert money_text(Decimal(amount), currency) == shown


@pytest.mark.parametrize(
    ("language", "minute", "second"),
    [
        ("en", "2026-12-05 18:59 CET", "2026-12-05 18:59:02 CET"),
        ("da", "05.12.2026 18.59 CET", "05.12.2026 18.59.02 CET"),
        ("sv", "2026-12-05 18:59 CET", "2026-12-05 18:59:02 CET"),
        ("de", "05.12.26, 18:59 CET", "05.12.26, 18:59:02 CET"),
        ("nl", "05-12-2026, 18:59 CET", "05-12-2026, 18:59:02 CET"),
    ],
)
def test_times_in_the_merchants_zone_with_the_readers_format(language, minute, second):
    with translation.override(language), timezone.override("Europe/Copenhagen"):
        assert when_text(SHIPPED) == minute
        assert when_seconds_text(SHIPPED.isoformat()) == second


def test_the_zone_is_the_merchants_whatever_the_language():
    with translation.override("da"), timezone.override("America/New_York"):
        assert when_text(SHIPPED) == "05.12.2026 12.59 EST"
    with translation.override("da"):
        assert when_text(None, "aldrig") == "aldrig"


def test_a_dashboard_page_writes_a_danish_reader_danish_times(owner_client, owner):
    from koongo.accounts.services import api_key_create

    key, _secret = api_key_create(merchant=owner.memberships.get().merchant, name="ERP", role="staff")
    type(key).objects.filter(pk=key.pk).update(last_used_at=SHIPPED)
    page = owner_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '<span translate="no">05.12.2026 18.59 CET</span>' in page  # the merchant's zone is Europe/Copenhagen
