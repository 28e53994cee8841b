"""Tests for the simulator toolkit's Basic and Digest authentication helpers, driven by httpx's own auth flows."""

import random

import httpx

from koongo.sandbox_kit import DigestAuthority, Response, SandboxApp, basic_credentials, json_response


class GuardedApp(SandboxApp):
    """One route that answers the authenticated user name, by Digest or Basic."""

    def setup_routes(self):
        self.digest = DigestAuthority("Shopware REST-API", random.Random(3))
        self.router.add("GET", "/api/who", self._who)

    def _who(self, request) -> Response:
        user = self.digest.verify(request, {"api": "s3cret"}.get)
        if user is None and basic_credentials(request) == ("api", "s3cret"):
            user = "api (basic)"
        if user is None:
            return json_response(
                {"success": False, "message": "Invalid or missing auth"}, 401, {"WWW-Authenticate": self.digest.challenge()}
            )
        return json_response({"user": user})


def _client(auth):
    return httpx.Client(transport=httpx.WSGITransport(app=GuardedApp()), base_url="http://shop.test", auth=auth)


def test_digest_authenticates_and_the_cached_challenge_saves_the_second_round_trip():
    app = GuardedApp()
    client = httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://shop.test", auth=httpx.DigestAuth("api", "s3cret")
    )
    assert client.get("/api/who?limit=1").json() == {"user": "api"}
    assert client.get("/api/who").json() == {"user": "api"}
    assert [entry["path"] for entry in app.requests] == ["/api/who"] * 3


def test_a_wrong_digest_password_and_a_wrong_basic_password_are_refused():
    assert _client(httpx.DigestAuth("api", "nope")).get("/api/who").status_code == 401
    assert _client(httpx.BasicAuth("api", "nope")).get("/api/who").status_code == 401
    assert _client(httpx.BasicAuth("api", "s3cret")).get("/api/who").json() == {"user": "api (basic)"}
