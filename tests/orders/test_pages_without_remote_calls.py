"""Pages and the providers endpoint never call a remote: lists come from a cache refreshed in the background, and a
live check of the connection is an explicit action."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from connections import remote_choices, tasks
from connections.sync.enqueue import REFRESH_ATTRIBUTES, REFRESH_PROVIDERS
from tests.conftest import make_api_client
from tests.orders.shipments.shipping import accepted_order


@pytest.fixture
def counted(world):
    """Every request the page or API tries to send to Miinto or the store, whether or not it gets through."""
    attempts = {"miinto": [], "store": []}
    world.miinto_transport.match = lambda request: attempts["miinto"].append(request.url.path) or True
    world.shopify_transport.match = lambda request: attempts["store"].append(request.url.path) or True
    return attempts


@pytest.fixture
def cold_cache(world):
    """Nothing cached yet for this market or store (the test cache outlives a test)."""
    store = world.connection.store_connection
    for key in (remote_choices.providers_key(world.connection), remote_choices.attributes_key(store)):
        cache.delete_many([key, f"{key}:refreshing"])


@pytest.fixture
def busy_workers(monkeypatch):
    """Refresh tasks are queued but no worker has run them yet (eager Celery would run them inside the request)."""
    queued = []
    names = {REFRESH_PROVIDERS: "providers", REFRESH_ATTRIBUTES: "attributes"}
    monkeypatch.setattr(remote_choices, "enqueue", lambda name, pk: queued.append((names[name], pk)))
    return queued


def test_the_connection_page_calls_no_remote_and_queues_one_refresh(world, owner_client, counted, cold_cache, busy_workers):
    url = f"/connections/{world.connection.pk}/"
    page = owner_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert counted == {"miinto": [], "store": []}
    assert sorted(busy_workers) == [("attributes", world.connection.store_connection_id), ("providers", world.connection.pk)]
    assert 'Miinto shipping providers (<span translate="no">DK</span>): being fetched' in html and "Store identifier attributes: being fetched" in html
    assert 'id="check-connection"' in html
    owner_client.get(url)  # a second view while the refresh is queued queues nothing more
    assert len(busy_workers) == 2 and counted == {"miinto": [], "store": []}


def test_check_now_is_the_explicit_live_test_and_later_views_use_its_answer(world, owner_client, counted, cold_cache, busy_workers):
    response = owner_client.post(f"/connections/{world.connection.pk}/check/")
    assert response.status_code == 302
    assert counted["miinto"] and counted["store"]
    counted["miinto"].clear(), counted["store"].clear()
    html = owner_client.get(f"/connections/{world.connection.pk}/").content.decode()
    assert counted == {"miinto": [], "store": []} and busy_workers == []
    providers = remote_choices.market_providers(world.connection).items
    assert ("gls-dk", "GLS") in providers
    assert f'Miinto shipping providers (<span translate="no">DK</span>): {len(providers)} known' in html
    assert 'value="gls-dk"' in html  # the default shipping service chooser lists them


def test_a_failed_check_keeps_the_last_good_list_and_says_what_failed(world, owner_client, counted, cold_cache):
    owner_client.post(f"/connections/{world.connection.pk}/check/")
    good = remote_choices.market_providers(world.connection).items
    world.miinto_transport.timeout_before = 10
    response = owner_client.post(f"/connections/{world.connection.pk}/check/", follow=True)
    assert "Miinto did not answer" in response.content.decode()
    cached = remote_choices.market_providers(world.connection)
    assert cached.items == good and cached.error
    html = owner_client.get(f"/connections/{world.connection.pk}/").content.decode()
    assert f"{len(good)} known · " in html and "last check failed" in html


def test_the_providers_endpoint_answers_from_the_cache_and_never_waits_on_miinto(world, counted, cold_cache, monkeypatch):
    world.configure(sync_level="stock_only")
    order = accepted_order(world)
    url = f"/api/v1/orders/{order.pk}/shipments/providers/"
    api = make_api_client(world.merchant, "staff")
    queued = []
    monkeypatch.setattr(remote_choices, "enqueue", lambda name, pk: queued.append(pk))
    counted["miinto"].clear()

    cold = api.get(url)
    assert (cold.status_code, cold.headers["Retry-After"]) == (503, "5")
    assert cold.json()["detail"] == "Miinto's shipping providers for this market are being fetched; try again in a few seconds."
    assert queued == [world.connection.pk] and counted["miinto"] == []

    assert tasks.refresh_market_providers.run(world.connection.pk) == "refreshed"  # the worker's refresh
    counted["miinto"].clear()
    world.miinto_transport.timeout_before = 10  # Miinto is down now: the cached answer still comes, at once
    warm = api.get(url)
    assert warm.status_code == 200
    assert {"id": "gls-dk", "name": "GLS"} in warm.json()
    assert counted["miinto"] == []


def test_a_list_never_fetched_because_miinto_failed_is_asked_for_again_after_a_minute(world, counted, cold_cache, busy_workers):
    import time

    import time_machine

    from koongo.http import HttpError

    world.miinto_transport.timeout_before = 10
    with pytest.raises(HttpError):
        remote_choices.market_providers_refresh(world.connection)
    assert remote_choices.market_providers(world.connection).items is None
    assert busy_workers == []  # just checked: not asked again at once
    with time_machine.travel(time.time() + remote_choices.RETRY_FAILED_SECONDS + 1, tick=False):
        cache.delete(f"{remote_choices.providers_key(world.connection)}:refreshing")  # the guard's Redis TTL is real time
        remote_choices.market_providers(world.connection)
    assert busy_workers == [("providers", world.connection.pk)]
