"""Tests for the Shopify GraphQL client: THROTTLED as 200 and 429, cost pacing, and error messages."""

import httpx
import pytest
import respx

from koongo.http import AuthError, PermanentError, RateLimited, TransientError
from platforms.errors import MissingScope
from platforms.shopify.client import ShopifyClient
from tests.platforms.shopify.conftest import ENDPOINT, SHOP, fixture

QUERY = "query shopFacts { shop { name } }"
MUTATION = "mutation orderUpdate($input: OrderInput!) { orderUpdate(input: $input) { userErrors { message } } }"


def _client(clock=lambda: 0.0):
    sleeps = []
    client = ShopifyClient(f"https://{SHOP}", "2026-04", "shpat_x", SHOP, sleep=sleeps.append, clock=clock)
    return client, sleeps


@respx.mock
def test_a_throttled_200_is_waited_out_for_the_cost_shortfall():
    route = respx.post(ENDPOINT).mock(
        side_effect=[httpx.Response(200, json=fixture("throttled")), httpx.Response(200, json=fixture("shop_facts"))]
    )
    client, sleeps = _client()
    assert client.query(QUERY, name="shopFacts")["shop"]["name"] == "Acme Nordic"
    assert (route.call_count, sleeps) == (2, [2.0])  # (804 requested - 604 available) / 100 per second


@respx.mock
def test_a_throttled_429_is_waited_out_for_its_retry_after():
    throttled = httpx.Response(429, json=fixture("throttled"), headers={"Retry-After": "3"})
    respx.post(ENDPOINT).mock(side_effect=[throttled, httpx.Response(200, json=fixture("shop_facts"))])
    client, sleeps = _client()
    client.query(QUERY, name="shopFacts")
    assert sleeps == [3.0]


@respx.mock
def test_a_throttled_mutation_did_not_run_so_it_is_resent():
    route = respx.post(ENDPOINT).mock(
        side_effect=[httpx.Response(200, json=fixture("throttled")), httpx.Response(200, json=fixture("order_update"))]
    )
    client, sleeps = _client()
    client.mutate(MUTATION, {"input": {}}, name="orderUpdate")
    assert (route.call_count, sleeps) == (2, [2.0])


@respx.mock
def test_a_mutation_failing_with_5xx_is_not_resent():
    route = respx.post(ENDPOINT).respond(503, json={"errors": "Service Unavailable"})
    client, _ = _client()
    with pytest.raises(TransientError, match="Shopify failed on acme.myshopify.com"):
        client.mutate(MUTATION, {"input": {}}, name="orderUpdate")
    assert route.call_count == 1


@respx.mock
def test_the_next_call_waits_until_the_bucket_can_pay_the_last_cost():
    low = fixture("shop_facts")
    low["extensions"]["cost"] = {
        "requestedQueryCost": 804,
        "actualQueryCost": 20,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 700, "restoreRate": 100.0},
    }
    respx.post(ENDPOINT).mock(side_effect=[httpx.Response(200, json=low), httpx.Response(200, json=fixture("shop_facts"))])
    now = [0.0]
    client, sleeps = _client(clock=lambda: now[0])
    client.query(QUERY, name="shopFacts")
    now[0] = 0.5  # 50 points restored meanwhile
    client.query(QUERY, name="shopFacts")
    assert sleeps == [pytest.approx(0.54)]


@respx.mock
def test_refused_token_names_shopify_and_the_shop():
    respx.post(ENDPOINT).respond(
        401, json={"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    )
    client, _ = _client()
    with pytest.raises(AuthError) as raised:
        client.query(QUERY, name="shopFacts")
    assert str(raised.value) == "Shopify refused the access token of acme.myshopify.com (401): reinstall the app"


@respx.mock
def test_access_denied_names_the_missing_scope():
    respx.post(ENDPOINT).respond(200, json=fixture("access_denied"))
    client, _ = _client()
    with pytest.raises(MissingScope) as raised:
        client.mutate(MUTATION, {}, name="orderUpdate")
    assert raised.value.missing == ("write_inventory",)


@respx.mock
def test_a_malformed_body_is_transient_and_a_query_is_retried():
    route = respx.post(ENDPOINT).mock(
        side_effect=[httpx.Response(200, text='{"data": {'), httpx.Response(200, json=fixture("shop_facts"))]
    )
    client, sleeps = _client()
    client.query(QUERY, name="shopFacts")
    assert (route.call_count, len(sleeps)) == (2, 1)


@respx.mock
def test_other_graphql_errors_are_permanent():
    respx.post(ENDPOINT).respond(
        200,
        json={
            "errors": [
                {
                    "message": "Query cost is 1252, which exceeds the single query max cost limit (1000).",
                    "extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1252, "maxCost": 1000},
                }
            ]
        },
    )
    client, _ = _client()
    with pytest.raises(PermanentError, match="exceeds the single query max cost limit"):
        client.query(QUERY, name="shopFacts")


@respx.mock
def test_a_plain_string_error_body_is_reported_not_crashed_on():
    respx.post(ENDPOINT).respond(200, json={"errors": "Unavailable Shop"})
    client, _ = _client()
    with pytest.raises(PermanentError, match="Unavailable Shop"):
        client.query(QUERY, name="shopFacts")


@respx.mock
def test_a_long_shortfall_surfaces_instead_of_blocking():
    empty = fixture("shop_facts")
    empty["extensions"]["cost"] = {
        "requestedQueryCost": 900,
        "actualQueryCost": 20,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 0, "restoreRate": 100.0},
    }
    respx.post(ENDPOINT).respond(200, json=empty)
    client, sleeps = _client()
    client.query(QUERY, name="shopFacts")
    with pytest.raises(RateLimited) as raised:
        client.query(QUERY, name="shopFacts")
    assert (raised.value.retry_after, sleeps) == (9.0, [])
