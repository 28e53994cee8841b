"""Each store simulator refuses an order body missing a field its platform requires, in the platform's error shape.

The body is the one the adapter really sends (recorded on the wire); each case removes one required field and sends
it again through the adapter's own client, so signing and headers stay as the platform expects them.
"""

import copy
import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from koongo.http import HttpError
from tests.platforms.contract.catalog import CATALOG, make_draft
from tests.platforms.contract.harness import StoreHarness


class Recording(httpx.BaseTransport):
    """Passes requests on and keeps (method, path, body) of each."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner, self.sent = inner, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path, request.read()))
        return self.inner.handle_request(request)


def _sent_order(code: str, path: str):
    harness = StoreHarness.start(code)
    harness.app.seed_products(CATALOG)
    recording = Recording(harness.transport)
    adapter = harness.adapter(transport=recording)
    adapter.create_order(make_draft(f"{code}-strict", harness.currency))
    [body] = [body for method, sent, body in recording.sent if method == "POST" and sent.endswith(path)]
    return harness, body


def _without(body, dotted: str):
    body = copy.deepcopy(body)
    *parents, last = dotted.split(".")
    holder = body
    for part in parents:
        holder = holder[int(part)] if isinstance(holder, list) else holder[part]
    del holder[int(last) if isinstance(holder, list) else last]
    return body


def _refusal(send) -> HttpError:
    with pytest.raises(HttpError) as refused:
        send()
    return refused.value


BIGCOMMERCE = ["products", "billing_address", "products.0.product_id", "products.0.variant_id", "products.0.quantity"]


@pytest.mark.parametrize("field", BIGCOMMERCE)
def test_bigcommerce_v2_order_create_requires_products_billing_and_catalog_line_fields(field):
    harness, raw = _sent_order("bigcommerce", "/v2/orders")
    body = _without(json.loads(raw), field)
    error = _refusal(lambda: harness.adapter().client.post("/v2/orders", body))
    assert error.status == 400
    [entry] = json.loads(error.body)  # v2 answers errors as a list of {status, message}
    assert entry["status"] == 400 and entry["message"]
    assert len(harness.app.store.orders) == 1  # only the adapter's own order


MAGENTO_ADDRESS = ["address_type", "firstname", "lastname", "street", "city", "postcode", "country_id", "telephone", "email"]
MAGENTO = (
    ["entity.items", "entity.payment.method"]
    + [f"entity.billing_address.{name}" for name in MAGENTO_ADDRESS]
    + [f"entity.extension_attributes.shipping_assignments.0.shipping.address.{name}" for name in MAGENTO_ADDRESS]
)


@pytest.mark.parametrize("field", MAGENTO)
def test_magento_order_save_requires_items_payment_method_and_each_address_field(field):
    harness, raw = _sent_order("magento2", "/V1/orders")
    body = _without(json.loads(raw), field)
    error = _refusal(lambda: harness.adapter().client.post("/V1/orders", body))
    assert error.status == 400
    assert set(json.loads(error.body)) >= {"message"}  # Magento's {"message", "parameters"?} error body
    assert len(harness.app.sales.orders) == 1


SHOPWARE = [
    ("customerId", 400),
    ("orderStatusId", 400),
    ("paymentStatusId", 400),
    ("paymentId", 400),
    ("dispatchId", 400),
    ("shopId", 400),
    ("billing", 400),
    ("shipping", 400),
    ("billing.countryId", 400),
    ("shipping.countryId", 400),
    ("details.0.statusId", 404),  # Resource\Order looks the status up and answers NotFound
    ("details.0.taxId", 404),
    ("details.0.articleId", 400),
    ("details.0.articleNumber", 400),
    ("details.0.price", 400),
    ("details.0.quantity", 400),
    ("details.0.taxRate", 400),
]


@pytest.mark.parametrize(("field", "status"), SHOPWARE)
def test_shopware_order_create_requires_references_addresses_and_detail_fields(field, status):
    harness, raw = _sent_order("shopware5", "/api/orders")
    body = _without(json.loads(raw), field)
    error = _refusal(lambda: harness.adapter().client.write("POST", "orders", body))
    assert error.status == status
    answer = json.loads(error.body)
    assert answer["success"] is False and answer["message"]
    assert len(harness.app.shop.orders) == 1


PRESTASHOP = [
    "id_address_delivery",
    "id_address_invoice",
    "id_cart",
    "id_currency",
    "id_lang",
    "id_customer",
    "id_carrier",
    "module",
    "payment",
    "total_paid",
    "total_paid_real",
    "total_products",
    "total_products_wt",
    "conversion_rate",
]


@pytest.mark.parametrize("field", PRESTASHOP)
def test_prestashop_order_post_requires_every_field_the_webservice_requires(field):
    harness, raw = _sent_order("prestashop", "/api/orders")
    root = ET.fromstring(raw)
    order = root.find("order")
    order.remove(order.find(field))
    error = _refusal(lambda: harness.adapter().client.create("orders", ET.tostring(root)))
    assert error.status == 400
    assert json.loads(error.body)["errors"] == [{"code": 41, "message": f'parameter "{field}" required'}]
    assert len(harness.app.tables["orders"].rows) == 1
