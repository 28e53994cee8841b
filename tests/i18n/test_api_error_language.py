"""The REST API's errors: the human message follows Accept-Language (a key has no user, so no saved choice), the
machine-readable parts, the `code` of a `detail` answer and the fields of a 400, never change with it."""

import pytest

from tests.conftest import make_api_client


def _both(client, method, path, **kwargs):
    """The same request in English and in Danish."""
    return [getattr(client, method)(path, HTTP_ACCEPT_LANGUAGE=language, **kwargs) for language in ("en", "da")]


def test_a_field_error_keeps_its_field_and_translates_its_message(merchant):
    english, danish = _both(make_api_client(merchant, "owner"), "post", "/api/v1/api-keys/", data={"role": "staff"}, format="json")
    assert english.status_code == danish.status_code == 400
    assert english.json() == {"name": ["This field is required."]}
    assert danish.json() == {"name": ["Dette felt er påkrævet."]}
    assert danish["Content-Language"] == "da"


@pytest.mark.parametrize(
    ("role", "method", "path", "status", "code"),
    [
        ("staff", "get", "/api/v1/miinto-connections/987654/", 404, "not_found"),
        ("viewer", "post", "/api/v1/api-keys/", 403, "permission_denied"),
        ("staff", "get", "/api/v1/no-such-thing/", 404, "not_found"),  # no route: Django's 404 handler answers
    ],
)
def test_a_detail_error_keeps_its_code_in_every_language(merchant, role, method, path, status, code):
    english, danish = _both(make_api_client(merchant, role), method, path)
    assert english.status_code == danish.status_code == status
    assert english.json()["code"] == danish.json()["code"] == code
    assert english.json()["detail"] != danish.json()["detail"]


def test_without_credentials_the_code_says_so_in_danish_too(client, db):
    answer = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="da")
    assert answer.status_code in (401, 403)
    assert answer.json() == {"detail": "Legitimation til autentificering blev ikke angivet.", "code": "not_authenticated"}
