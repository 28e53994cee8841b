"""Shopify test set-up: a respx stand-in for one shop's GraphQL endpoint answering from docs-shaped fixtures."""

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import respx

from platforms.shopify.adapter import ShopifyAdapter
from platforms.shopify.graphql import parse

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = "acme.myshopify.com"
ENDPOINT = f"https://{SHOP}/admin/api/2026-04/graphql.json"
TOKEN = "shpat_test_token"
SECRET = "app-secret-current"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Call:
    request: httpx.Request
    body: dict

    @property
    def operation(self):
        return parse(self.body["query"], self.body["operationName"])

    @property
    def variables(self) -> dict:
        return self.body["variables"]


class ShopStub:
    """Answers each GraphQL operation name with the next queued fixture, and records every call."""

    def __init__(self, router: respx.Router):
        self.answers: dict[str, list[httpx.Response]] = {}
        self.calls: list[Call] = []
        router.post(ENDPOINT).mock(side_effect=self._answer)

    def on(self, operation: str, *fixtures: str, status: int = 200) -> "ShopStub":
        self.answers.setdefault(operation, []).extend(httpx.Response(status, json=fixture(name)) for name in fixtures)
        return self

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(Call(request, body))
        queue = self.answers.get(body["operationName"])
        assert queue, f"no answer queued for {body['operationName']}"
        return queue.pop(0)

    def operations(self) -> list[str]:
        return [call.body["operationName"] for call in self.calls]

    def call(self, operation: str) -> Call:
        [found] = [call for call in self.calls if call.body["operationName"] == operation]
        return found


@pytest.fixture
def shop():
    with respx.mock(assert_all_called=False) as router:
        yield ShopStub(router)


@pytest.fixture
def adapter(shop):
    sleeps = []
    credentials = {"shop_domain": SHOP, "access_token": TOKEN, "app_client_secrets": [SECRET]}
    built = ShopifyAdapter(credentials, sleep=sleeps.append)
    built.sleeps = sleeps
    return built
