"""OAuth 1.0a signing against the specification's own examples, and the Authorization header httpx requests carry."""

import base64
import hashlib
import hmac

import httpx

from platforms.oauth1 import OAuth1Auth, base_string, parse_authorization, pct, sign

# OAuth Core 1.0 Appendix A.5 (the photos.example.net example, repeated in RFC 5849 §1.2 with other values).
URL = "http://photos.example.net/photos"
QUERY = [("file", "vacation.jpg"), ("size", "original")]
CORE_OAUTH = [
    ("oauth_consumer_key", "dpf43f3p2l4k3l03"), ("oauth_token", "nnch734d00sl2jdk"), ("oauth_signature_method", "HMAC-SHA1"),
    ("oauth_timestamp", "1191242096"), ("oauth_nonce", "kllo9940pd9333jh"), ("oauth_version", "1.0"),
]
CORE_BASE = (
    "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
    "%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
    "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
)


def test_the_core_spec_example_gives_its_base_string_and_signature():
    assert base_string("GET", URL + "?file=vacation.jpg&size=original", [*QUERY, *CORE_OAUTH]) == CORE_BASE
    assert sign(CORE_BASE, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", "HMAC-SHA1") == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="


def test_the_rfc_5849_example_gives_its_signature():
    oauth = [("oauth_consumer_key", "dpf43f3p2l4k3l03"), ("oauth_token", "nnch734d00sl2jdk"),
             ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "137131202"), ("oauth_nonce", "chapoH")]
    base = base_string("GET", URL, [*QUERY, *oauth])
    assert sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", "HMAC-SHA1") == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_percent_encoding_follows_rfc_3986_unreserved_characters():
    assert pct("a b+c/d~e_f.g-h[0]=ø") == "a%20b%2Bc%2Fd~e_f.g-h%5B0%5D%3D%C3%B8"


def test_the_base_uri_drops_default_ports_and_lowercases_scheme_and_host():
    assert base_string("get", "HTTPS://Shop.Example:443/rest/V1/x?q=1", []).startswith("GET&https%3A%2F%2Fshop.example%2Frest%2FV1%2Fx&")
    assert "shop.example%3A8443" in base_string("GET", "https://shop.example:8443/a", [])


def test_an_httpx_request_is_signed_over_its_decoded_query_with_hmac_sha256():
    auth = OAuth1Auth("ck", "cs", "tk", "ts", clock=lambda: 1700000000, nonce=lambda: "n0nce")
    request = httpx.Request("GET", "https://shop.example/rest/default/V1/orders", params={"searchCriteria[pageSize]": "1"})
    signed = next(auth.auth_flow(request))
    oauth = parse_authorization(signed.headers["Authorization"])
    # Computed here from the spec's rules, independently of platforms.oauth1.
    expected_base = (
        "GET&https%3A%2F%2Fshop.example%2Frest%2Fdefault%2FV1%2Forders&oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce"
        "%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk%26oauth_version%3D1.0"
        "%26searchCriteria%255BpageSize%255D%3D1"
    )
    expected = base64.b64encode(hmac.new(b"cs&ts", expected_base.encode(), hashlib.sha256).digest()).decode()
    assert oauth == {
        "oauth_consumer_key": "ck", "oauth_nonce": "n0nce", "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": "1700000000",
        "oauth_token": "tk", "oauth_version": "1.0", "oauth_signature": expected,
    }


def test_a_form_body_is_signed_and_a_json_body_is_not():
    auth = OAuth1Auth("ck", "cs", "tk", "ts", clock=lambda: 1, nonce=lambda: "n")
    form = next(auth.auth_flow(httpx.Request("POST", "https://s.example/a", data={"b": "1"})))
    json_request = next(auth.auth_flow(httpx.Request("POST", "https://s.example/a", json={"b": "1"})))
    bare = next(auth.auth_flow(httpx.Request("POST", "https://s.example/a")))
    signature = lambda request: parse_authorization(request.headers["Authorization"])["oauth_signature"]  # noqa: E731
    assert signature(form) != signature(bare)
    assert signature(json_request) == signature(bare)
