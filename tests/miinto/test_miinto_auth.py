"""Tests for miinto/auth.py: the §2 signing vectors, edge cases, headers, seeds and byte-exact encoding."""

import hashlib
import json

from miinto import auth

CHANNEL = "M!t!Ch!v1!0000000001-0000000000000-1"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
FIXED = {"channel_id": CHANNEL, "timestamp": 1700000000, "seed": "42"}


def test_get_vector_from_the_docs():
    path, query = "/shops/1-m!i!s-045-1234/orders", "status%5B%5D=pending&limit=50&offset=0"
    assert auth.resource_signature("GET", "api-order.miinto.net", path, query).startswith("6220805f")
    assert auth.resource_signature("GET", "api-order.miinto.net", path, query).endswith("941c")
    assert auth.header_signature(CHANNEL, 1700000000, "42").startswith("4d25616d")
    assert auth.header_signature(CHANNEL, 1700000000, "42").endswith("508e")
    assert (
        auth.signature(TOKEN, method="GET", host="api-order.miinto.net", path=path, query=query, body=b"", **FIXED)
        == "9dbd6702a635a4e47f4d1f861fa1a74c6e3d85cacb708a629ca5f0804bb1668b"
    )


def test_patch_vector_from_the_docs():
    body = b'{"acceptedPositions":[{"id":111}],"declinedPositions":[{"id":112}]}'
    assert (
        auth.signature(
            TOKEN,
            method="PATCH",
            host="api-order.miinto.net",
            path="/shops/1-m!i!s-045-1234/transfers/987654",
            query="",
            body=body,
            **FIXED,
        )
        == "9bcc285804511d547e48b43079ecaa4053f6cf30b8acf04778725a09cd77a4bb"
    )


def test_empty_query_keeps_the_trailing_newline_and_empty_body_hashes_the_empty_string():
    assert auth.resource_signature("GET", "h", "/p", "") == hashlib.sha256(b"GET\nh\n/p\n").hexdigest()
    assert auth.payload_signature(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert (
        auth.signature(
            TOKEN, method="GET", host="api-order.miinto.net", path="/shops/1-m!i!s-045-1234", query="", body=b"", **FIXED
        )
        == "7ec31572442bc53a5a323dd3edf2873c3dfce0592badf778707ae1f2b04fda57"
    )


def test_unicode_body_is_signed_as_its_utf8_bytes():
    body = '{"reason":"Størrelse passede ikke – 尺码不合适"}'.encode()
    assert (
        auth.signature(
            TOKEN,
            method="POST",
            host="api-order.miinto.net",
            path="/shops/1-m!i!s-086-1234/returns",
            query="",
            body=body,
            **FIXED,
        )
        == "8c954486de22702191b5c97693ee97e95748fe911552585bf2da19737e053c83"
    )
    assert auth.payload_signature(body) == hashlib.sha256(body).hexdigest()


def test_a_body_of_several_kilobytes():
    items = [{"stock": i % 7, "group": f"NT-{i:04d}", "brand": "Nordlys", "color": "Navy", "size": "M"} for i in range(100)]
    body = json.dumps(items, separators=(",", ":")).encode()
    assert len(body) == 7401
    assert (
        auth.signature(
            TOKEN,
            method="PATCH",
            host="api-stock.miinto.net",
            path="/locations/1-m!i!s-045-1234/items",
            query="",
            body=body,
            **FIXED,
        )
        == "35d0f786077d8bc33afc6d99a5e7403ff224952d2fa376ee2aa120616e4f95b3"
    )


def test_the_seven_headers():
    headers = auth.signed_headers(
        TOKEN,
        method="GET",
        host="api-order.miinto.net",
        path="/shops/1-m!i!s-045-1234/orders",
        query="status%5B%5D=pending&limit=50&offset=0",
        body=b"",
        **FIXED,
    )
    assert headers == {
        "Miinto-Api-Auth-ID": CHANNEL,
        "Miinto-Api-Auth-Signature": "9dbd6702a635a4e47f4d1f861fa1a74c6e3d85cacb708a629ca5f0804bb1668b",
        "Miinto-Api-Auth-Timestamp": "1700000000",
        "Miinto-Api-Auth-Seed": "42",
        "Miinto-Api-Auth-Type": "MNT-HMAC-SHA256-1-0",
        "Miinto-Api-Control-Flavour": "Miinto-Generic",
        "Miinto-Api-Control-Version": "2.6",
    }


def test_seeds_carry_128_random_bits():
    seeds = {auth.new_seed() for _ in range(1000)}
    assert len(seeds) == 1000
    assert all(len(seed) == 32 and int(seed, 16) >= 0 for seed in seeds)


def test_paths_keep_shop_id_bangs_literal_and_queries_are_encoded_once():
    assert auth.encode_path("shops", "1-m!i!s-045-1234", "transfers", 987654) == "/shops/1-m!i!s-045-1234/transfers/987654"
    assert auth.encode_path("a b", "x/y", "ø") == "/a%20b/x%2Fy/%C3%B8"
    assert (
        auth.encode_query([("status[]", "pending"), ("status[]", "accepted"), ("limit", 50)])
        == "status%5B%5D=pending&status%5B%5D=accepted&limit=50"
    )
    assert auth.encode_query([("sort", "+createdAt"), ("q", "a&b=c d")]) == "sort=%2BcreatedAt&q=a%26b%3Dc%20d"
    assert auth.encode_query([]) == ""
