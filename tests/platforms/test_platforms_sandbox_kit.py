"""Tests for the store-simulator additions to koongo/sandbox_kit.py: XML, throttle buckets, catalog format, prefix mount."""

import httpx
import pytest

from koongo.sandbox_kit import (
    CatalogItem,
    LeakyBucket,
    PrefixMount,
    SandboxApp,
    WindowQuota,
    dict_to_xml,
    group_catalog,
    json_response,
    xml_to_dict,
)


def test_xml_round_trips_prestashop_shaped_bodies():
    import xml.etree.ElementTree as ET

    text = (
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink"><order><id_cart>7</id_cart>'
        "<associations><order_rows><order_row><product_id>1</product_id></order_row>"
        "<order_row><product_id>2</product_id></order_row></order_rows></associations>"
        '<note><language id="1">hi</language></note></order></prestashop>'
    )
    data = xml_to_dict(ET.fromstring(text))
    assert data["order"]["id_cart"] == "7"
    assert data["order"]["associations"]["order_rows"]["order_row"] == [{"product_id": "1"}, {"product_id": "2"}]
    assert data["order"]["note"]["language"] == {"@id": "1", "#text": "hi"}
    assert xml_to_dict(ET.fromstring(dict_to_xml("prestashop", data))) == data


def test_leaky_bucket_admits_within_capacity_and_restores_over_time():
    now = [0.0]
    bucket = LeakyBucket(100, 50, clock=lambda: now[0])
    assert bucket.admits(100)
    bucket.take(80)
    assert not bucket.admits(30)
    now[0] = 0.5
    assert bucket.available() == 45
    bucket.drain()
    assert bucket.available() == 0


def test_window_quota_counts_and_resets():
    now = [0.0]
    quota = WindowQuota(2, 30, clock=lambda: now[0])
    assert [quota.take(), quota.take(), quota.take()] == [True, True, False]
    now[0] = 10
    assert (quota.remaining, quota.reset_ms) == (0, 20000)
    now[0] = 30
    assert quota.take() and quota.remaining == 1


def test_catalog_items_refuse_unknown_fields_and_group_into_products():
    with pytest.raises(ValueError):
        CatalogItem.from_dict({"sku": "A", "title": "T", "price": 1, "colour": "red"})
    groups = group_catalog(
        [
            {"sku": "A-S", "title": "Tee", "price": 10, "group": "tee"},
            {"sku": "A-M", "title": "Tee", "price": 10, "group": "tee"},
            {"sku": "CAP", "title": "Cap", "price": "5.50"},
        ]
    )
    assert {key: [item.sku for item in items] for key, items in groups.items()} == {"tee": ["A-S", "A-M"], "Cap": ["CAP"]}
    assert groups["tee"][0].price == "10"


class Echo(SandboxApp):
    def setup_routes(self):
        self.router.add("GET", "/where", lambda req: json_response({"path": req.path}))


def test_prefix_mount_routes_by_first_segment_and_strips_it():
    client = httpx.Client(transport=httpx.WSGITransport(app=PrefixMount({"echo": Echo()})), base_url="http://sim")
    assert client.get("/echo/where").json() == {"path": "/where"}
    missing = client.get("/nope/where")
    assert (missing.status_code, missing.json()["simulators"]) == (404, ["echo"])
