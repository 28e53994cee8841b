"""Payloads shown in the dashboard: orjson's indented text is the standard library's."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from connections.sync.templatetags import pretty_json

PAYLOAD = {
    "id": 4711,
    "status": "accepted",
    "ratio": 0.97,
    "price": Decimal("499.95"),
    "paid": True,
    "note": None,
    "customer": {"name": "Søren Ærø", "city": "København", "tags": []},
    "lines": [{"sku": "NT-1001-CAM-S", "quantity": 2, "extras": {}}, {"sku": "日本", "quantity": 1}],
    "created": datetime(2026, 12, 7, 17, 0, tzinfo=UTC),
    "day": date(2026, 12, 7),
    7: "an integer key",
}


def test_pretty_json_writes_the_standard_librarys_indented_text():
    assert pretty_json(PAYLOAD) == json.dumps(PAYLOAD, indent=2, ensure_ascii=False, default=str)


def test_pretty_json_hands_what_orjson_refuses_to_the_standard_library():
    huge = {"id": 2**70, "list": [1, 2]}
    assert pretty_json(huge) == json.dumps(huge, indent=2, ensure_ascii=False)
    assert pretty_json(None) == ""
