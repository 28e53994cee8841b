"""Tests for miinto/markets.py and miinto/environments.py: shop id markets, currencies and base URLs."""

import pytest

from miinto.environments import MiintoEnvironment, available_environments
from miinto.markets import MARKETS, market_of_shop, shop_id_for


@pytest.mark.parametrize(
    "code,market,currency",
    [
        ("045", "DK", "DKK"), ("046", "SE", "SEK"), ("047", "NO", "NOK"), ("031", "NL", "EUR"), ("032", "BE", "EUR"),
        ("048", "PL", "PLN"), ("041", "CH", "CHF"), ("034", "ES", "EUR"), ("039", "IT", "EUR"), ("358", "FI", "EUR"),
        ("033", "FR", "EUR"), ("049", "DE", "EUR"), ("044", "UK", "GBP"), ("086", "CN", "CNY"),
    ],
)  # fmt: skip
def test_market_and_currency_from_the_shop_id(code, market, currency):
    found = market_of_shop(f"1-m!i!s-{code}-1234")
    assert (found.code, found.currency) == (market, currency)


def test_unknown_shop_ids_have_no_market():
    assert market_of_shop("1-m!i!s-999-1234") is None
    assert market_of_shop("shop-1") is None
    assert len(MARKETS) == 14


def test_shop_id_for_builds_unified_ids():
    assert shop_id_for("CN", 77) == "1-m!i!s-086-77"
    assert MARKETS["UK"].name == "United Kingdom"


def test_simulator_environment_serves_every_host_under_one_port():
    env = MiintoEnvironment.simulator("http://127.0.0.1:8765/")
    assert (env.name, env.auth_url, env.order_url, env.stock_url, env.product_map_url) == (
        "simulator",
        "http://127.0.0.1:8765/auth",
        "http://127.0.0.1:8765/order",
        "http://127.0.0.1:8765/stock",
        "http://127.0.0.1:8765/pc",
    )


def test_built_in_and_configured_environments():
    assert MiintoEnvironment.PRODUCTION.order_url == "https://api-order.miinto.net"
    assert MiintoEnvironment.SANDBOX.auth_url == "https://api-auth-sandbox.miinto.net"
    found = available_environments({"uat": "https://a/|https://o|https://s|https://p"}, simulator_url="http://127.0.0.1:9000")
    assert sorted(found) == ["production", "sandbox", "simulator", "uat"]
    assert found["uat"] == MiintoEnvironment("uat", "https://a", "https://o", "https://s", "https://p")
    with pytest.raises(ValueError, match="four URLs"):
        MiintoEnvironment.from_setting("bad", "https://a|https://o")
