"""Magento 2 test set-up: a respx stand-in for one store's REST API answering from docs-shaped fixtures, recording each call."""

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import respx

from koongo.coordination import Locks, MemoryBackend
from platforms.magento2.adapter import Magento2Adapter

FIXTURES = Path(__file__).parent / "fixtures"
HOST = "https://shop.nordkyst.example"
BASE = f"{HOST}/rest/default"
CREDENTIALS = {
    "base_url": HOST, "consumer_key": "ck-nordkyst", "consumer_secret": "cs-nordkyst", "access_token": "at-nordkyst",
    "access_token_secret": "ats-nordkyst",
}


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def criteria(*groups, page_size=None, page=None) -> dict[str, str]:
    """searchCriteria parameters as Magento's REST docs spell them, written out independently of the client."""
    params = {}
    for g, group in enumerate(groups):
        for f, (field, value, condition) in enumerate(group):
            params[f"searchCriteria[filter_groups][{g}][filters][{f}][field]"] = field
            params[f"searchCriteria[filter_groups][{g}][filters][{f}][value]"] = value
            params[f"searchCriteria[filter_groups][{g}][filters][{f}][condition_type]"] = condition
    if page_size is not None:
        params["searchCriteria[pageSize]"] = str(page_size)
    if page is not None:
        params["searchCriteria[currentPage]"] = str(page)
    return params


@dataclass
class Call:
    request: httpx.Request

    @property
    def path(self) -> str:
        return f"{self.request.method} {self.request.url.path.removeprefix('/rest/default')}"

    @property
    def params(self) -> dict:
        return dict(self.request.url.params)

    @property
    def body(self):
        return json.loads(self.request.content) if self.request.content else None


class StoreStub:
    """Answers `METHOD /V1/...` (no query) with the next queued response; the last one repeats."""

    def __init__(self, router: respx.Router):
        self.answers: dict[str, list[httpx.Response]] = {}
        self.calls: list[Call] = []
        router.route(host="shop.nordkyst.example").mock(side_effect=self._answer)

    def on(self, method: str, path: str, *answers, status: int = 200) -> "StoreStub":
        queue = self.answers.setdefault(f"{method} {path}", [])
        for answer in answers:
            queue.append(httpx.Response(status, json=fixture(answer) if isinstance(answer, str) else answer))
        return self

    def _answer(self, request: httpx.Request) -> httpx.Response:
        call = Call(request)
        self.calls.append(call)
        queue = self.answers.get(call.path)
        assert queue, f"no answer queued for {call.path}"
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def paths(self) -> list[str]:
        return [call.path for call in self.calls]

    def call(self, path: str, index: int = 0) -> Call:
        return [call for call in self.calls if call.path == path][index]


@pytest.fixture
def store():
    with respx.mock(assert_all_called=False) as router:
        yield StoreStub(router)


@pytest.fixture
def adapter(store):
    sleeps = []
    built = Magento2Adapter(CREDENTIALS, sleep=sleeps.append, locks=Locks(MemoryBackend()))
    built.sleeps = sleeps
    return built


def catalog_answers(store: StoreStub) -> StoreStub:
    """What listing or looking up products reads: attributes, products, option labels, a category, store config, salable qty."""
    store.on("GET", "/V1/products/attributes", "product_attributes").on("GET", "/V1/products", "products")
    store.on("GET", "/V1/products/attributes/color/options", "options_color").on("GET", "/V1/products/attributes/size/options", "options_size")
    store.on("GET", "/V1/products/attributes/manufacturer/options", "options_manufacturer").on("GET", "/V1/categories/23", "category")
    store.on("GET", "/V1/store/storeConfigs", "store_configs")
    store.on("GET", "/V1/inventory/get-product-salable-quantity/KNIT-NAVY-S/1", 9)
    store.on("GET", "/V1/inventory/get-product-salable-quantity/CAP-BLACK/1", 5)
    return store
