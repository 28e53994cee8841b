"""Property: for random paths, queries and bodies the simulator accepts exactly what the client signs,
and rejects the request as a bad signature if any byte of it changes."""

import string

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koongo.sandbox_kit import wsgi_transport
from miinto import auth
from miinto.client import MiintoClient
from miinto.environments import MiintoEnvironment
from miinto.sandbox import MiintoSimulator
from tests.miinto.simulated import PASSWORD, SHOPS, USER

# Characters percent-decoding leaves as they are ('%' excluded), so WSGI's decoded PATH_INFO rebuilds exactly.
PATH_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@"
# Replacements for a byte of the URL: not hex digits, so a change can never turn into an equivalent escape.
URL_REPLACEMENTS = "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ_~"

sim = MiintoSimulator(seed=3)
sim.state.add_account(USER, PASSWORD, SHOPS)
client = MiintoClient(MiintoEnvironment.PRODUCTION, USER, PASSWORD, transport=wsgi_transport(sim))
client.login()
raw = httpx.Client(transport=wsgi_transport(sim))

# "." and ".." are dot segments that httpx removes from the URL, leaving nothing after the host to tamper with.
segments = st.lists(st.text(PATH_CHARS, min_size=1, max_size=12).filter(lambda s: s not in (".", "..")), min_size=1, max_size=4)
queries = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=4)
bodies = st.binary(max_size=3000)
methods = st.sampled_from(["GET", "POST", "PATCH", "DELETE"])


def signed(method: str, target: str, body: bytes) -> httpx.Request:
    return client.prepare(client.http.build_request(method, f"https://api-order.miinto.net{target}", content=body))


def resend(request: httpx.Request, *, method=None, url=None, content=None, headers=None) -> httpx.Response:
    """Send a copy of a signed request with some part changed, bypassing the client's signing."""
    copy = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
    return raw.send(
        httpx.Request(
            method or request.method,
            url or request.url,
            content=request.content if content is None else content,
            headers={**copy, **(headers or {})},
        )
    )


def code(response: httpx.Response) -> str | None:
    return response.json()["meta"].get("code") if response.status_code == 401 else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(methods, segments, queries, bodies, st.data())
def test_the_simulator_accepts_what_the_client_signs_and_nothing_else(method, path_segments, query_pairs, body, data):
    query = auth.encode_query(query_pairs)
    target = auth.encode_path(*path_segments) + (f"?{query}" if query else "")
    request = signed(method, target, body)
    url = str(request.url)
    scheme_and_host = len("https://api-order.miinto.net")

    where = data.draw(st.sampled_from(["url", "body", "method", "host", "timestamp", "seed"]))
    if where == "url":
        index = data.draw(st.integers(scheme_and_host + 1, len(url) - 1))  # never the leading "/"
        replacement = data.draw(st.sampled_from([c for c in URL_REPLACEMENTS if c != url[index]]))
        tampered = resend(request, url=url[:index] + replacement + url[index + 1 :])
    elif where == "body":
        changed = bytearray(body or b"x")
        index = data.draw(st.integers(0, len(changed) - 1))
        changed[index] ^= data.draw(st.integers(1, 255))
        tampered = resend(request, content=bytes(changed))
    elif where == "method":
        tampered = resend(
            request, method=data.draw(st.sampled_from([m for m in ("GET", "POST", "PATCH", "DELETE") if m != method]))
        )
    elif where == "host":
        tampered = resend(request, url=url.replace("api-order.miinto.net", "api-order-sandbox.miinto.net", 1))
    elif where == "timestamp":
        tampered = resend(
            request, headers={"Miinto-Api-Auth-Timestamp": str(int(request.headers["Miinto-Api-Auth-Timestamp"]) - 1)}
        )
    else:
        tampered = resend(request, headers={"Miinto-Api-Auth-Seed": request.headers["Miinto-Api-Auth-Seed"] + "0"})

    # The tampered copy goes first: its refusal is the signature's doing, not a replay of the original's pair.
    assert code(tampered) == "signature"
    assert code(resend(request)) is None
