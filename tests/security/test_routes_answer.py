"""Every operation the OpenAPI schema documents exists: called by merchant A's owner with A's own ids and a plausible
body, none answers 404 (no such route or object) or 405 (no such method), and none fails with a 5xx."""

from __future__ import annotations

import json

from rest_framework.test import APIClient

from tests.conftest import make_api_client
from tests.factories import MembershipFactory
from tests.security.schema_tools import Ids, api_schema, example_body, operations

# Writes last, and removals after every other write, so no operation loses the object a later one needs.
ORDER = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}


def test_every_documented_operation_answers_for_its_owner(populated):
    schema = api_schema()
    ids = Ids(make_api_client(populated.merchant, "staff"))
    owner = APIClient()  # a session, so revoking an API key on the way never locks the probe out
    owner.force_login(MembershipFactory(merchant=populated.merchant, user__username="probe@a.example", role="owner").user)

    answers = {}
    for method, template, spec in sorted(operations(schema), key=lambda op: ORDER[op[0]]):
        path = ids.fill(template)
        body = example_body(schema, spec)
        response = owner.generic(method, path, data=json.dumps(body) if method != "GET" else "", content_type="application/json")
        answers[f"{method} {template}"] = response.status_code

    print(f"\nroutes: {len(answers)} documented operations called")
    missing = {op: code for op, code in answers.items() if code in (404, 405) or code >= 500}
    assert missing == {}
    for route in ("POST /api/v1/miinto-connections/{id}/sync/", "POST /api/v1/miinto-connections/{id}/pause/",
                  "POST /api/v1/miinto-connections/{id}/resume/", "GET /api/v1/sync-runs/{id}/", "POST /api/v1/members/",
                  "PATCH /api/v1/members/{id}/", "DELETE /api/v1/members/{id}/", "POST /api/v1/api-keys/",
                  "DELETE /api/v1/api-keys/{id}/", "PATCH /api/v1/rma-settings/{id}/", "PATCH /api/v1/rma-digest/{id}/"):
        assert route in answers, route
