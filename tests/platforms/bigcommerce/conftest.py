"""BigCommerce test set-up: a respx stand-in for one store's API answering from docs-shaped fixtures, recording each call."""

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import respx

from koongo.coordination import Locks, MemoryBackend
from platforms.bigcommerce.adapter import BigCommerceAdapter

FIXTURES = Path(__file__).parent / "fixtures"
STORE = "abc123"
BASE = f"https://api.bigcommerce.com/stores/{STORE}"
TOKEN = "bc-test-token"
SECRET = "bc-client-secret"


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Call:
    request: httpx.Request

    @property
    def url(self) -> str:
        return str(self.request.url)

    @property
    def body(self):
        return json.loads(self.request.content) if self.request.content else None


class StoreStub:
    """Answers `METHOD /path` (no query) with the next queued response, and records every call in order."""

    def __init__(self, router: respx.Router):
        self.answers: dict[str, list[httpx.Response]] = {}
        self.calls: list[Call] = []
        router.route(host="api.bigcommerce.com").mock(side_effect=self._answer)

    def on(self, method: str, path: str, *answers, status: int = 200, headers: dict | None = None) -> "StoreStub":
        queue = self.answers.setdefault(f"{method} {path}", [])
        for answer in answers:
            body = fixture(answer) if isinstance(answer, str) else answer
            queue.append(httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status, headers=headers))
        return self

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(Call(request))
        key = f"{request.method} {request.url.path.removeprefix(f'/stores/{STORE}')}"
        queue = self.answers.get(key)
        assert queue, f"no answer queued for {key}"
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def urls(self) -> list[str]:
        return [f"{call.request.method} {call.url.removeprefix(BASE)}" for call in self.calls]


@pytest.fixture
def store():
    with respx.mock(assert_all_called=False) as router:
        yield StoreStub(router)


@pytest.fixture
def adapter(store):
    sleeps = []
    credentials = {"store_hash": STORE, "access_token": TOKEN, "client_secret": SECRET}
    built = BigCommerceAdapter(credentials, sleep=sleeps.append, locks=Locks(MemoryBackend()))
    built.sleeps = sleeps
    return built
