"""Recording an API key's use does not wait for PostgreSQL's WAL flush: once a minute that wait was the worst p99 of
the data-scale run. Inside a caller's transaction the caller's durability is left alone."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from koongo.accounts.models import MerchantApiKey
from koongo.accounts.services import api_key_create, api_key_touch

ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"


@pytest.mark.postgres
def test_a_key_use_is_stamped_without_waiting_for_the_flush(transactional_db, merchant):
    key, _plain = api_key_create(merchant=merchant, name="bench")
    with CaptureQueriesContext(connection) as queries:
        api_key_touch(key)
    assert [q["sql"] for q in queries.captured_queries if "synchronous_commit" in q["sql"]] == [ASYNC_COMMIT]
    with scopes_disabled():
        assert MerchantApiKey.objects.get(pk=key.pk).last_used_at == key.last_used_at


@pytest.mark.postgres
def test_inside_a_callers_transaction_the_commit_keeps_its_durability(transactional_db, merchant):
    key, _plain = api_key_create(merchant=merchant, name="bench")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        api_key_touch(key)
    assert not [q for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    with scopes_disabled():
        assert MerchantApiKey.objects.get(pk=key.pk).last_used_at is not None
