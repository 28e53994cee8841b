"""Schemathesis against the WSGI app in-process: every operation of the OpenAPI schema, as merchant A's staff key, with
the Miinto and store simulators wired in-process. Zero 5xx, and every answer conforms to the schema (status code,
content type, headers, body). A fixed seed and a bounded number of examples per operation keep it to a few minutes.

Merchant A's world is built once per module inside a transaction that is rolled back at the end; each operation's
test runs in a savepoint inside it, so every operation starts from the same world.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from koongo.accounts.services import api_key_create
from koongo.wsgi import application
from tests.conftest import make_api_client
from tests.factories import MerchantFactory
from tests.rma.conftest import build_world
from tests.security.conftest import populate
from tests.security.schema_tools import PARAM, Ids, api_schema

EXAMPLES_PER_OPERATION = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

schema = schemathesis.openapi.from_dict(api_schema())
schema.app = application
REAL_PATH_PARAMETERS: dict[str, dict] = {}  # path template → merchant A's ids, filled by `fuzz_world`
TALLY = {"requests": 0, "operations": set(), "server_errors": 0}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """As often as not, an id of merchant A's real objects instead of a random one, so the handlers run too."""
    real = REAL_PATH_PARAMETERS.get(context.operation.path)
    return st.sampled_from([path_parameters, real]) if real else st.just(path_parameters)


@schema.hook
def after_call(context, case, response):
    TALLY["requests"] += 1
    TALLY["operations"].add(f"{case.method} {case.operation.path}")
    TALLY["server_errors"] += response.status_code >= 500


def _real_parameters(template: str, ids: Ids) -> dict:
    filled = ids.fill(template).strip("/").split("/")
    # Ids are integers, except API keys', which are addressed by their prefix.
    return {PARAM.fullmatch(part).group(1): int(value) if value.isdigit() else value
            for part, value in zip(template.strip("/").split("/"), filled, strict=True) if PARAM.fullmatch(part)}


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """Merchant A's populated world and a staff key, kept for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        worlds = build_world(MerchantFactory(name="Merchant A"), "shopify")
        world = next(worlds)
        populate(world)
        ids = Ids(make_api_client(world.merchant, "staff"))
        for template in schema.raw_schema["paths"]:
            if PARAM.search(template):
                REAL_PATH_PARAMETERS[template] = _real_parameters(template, ids)
        _, key = api_key_create(merchant=world.merchant, name="fuzz", role="staff")
        # The app is called directly, so request_started/finished would close the connection and its transaction (the
        # test client disconnects the same handler per request, and reconnects it after: hence only now).
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        yield {"Authorization": f"Api-Key {key}"}
        worlds.close()
        transaction.set_rollback(True)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    print(f"\nfuzz: {TALLY['requests']} requests over {len(TALLY['operations'])} operations, "
          f"{TALLY['server_errors']} server errors")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_conforms(case, fuzz_world, db):
    case.call_and_validate(headers=fuzz_world, checks=CHECKS)
