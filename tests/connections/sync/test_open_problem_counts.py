"""A connection's open-problem badge: counted on the connections list only, from open problems only."""

from __future__ import annotations

import re

from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.stock import UNKNOWN_ITEMS
from connections.models import Problem, ProblemState
from connections.sync.problems import problem_raise
from tests.connections.sync.support import *  # noqa: F403


def raise_on(merchant, connection, count: int, prefix: str) -> list[Problem]:
    return [
        problem_raise(merchant=merchant, kind=UNKNOWN_ITEMS, message=f"Bad {prefix}{n}", fingerprint=f"{prefix}{n}", connection=connection)
        for n in range(count)
    ]


def resolve(problems: list[Problem]) -> None:
    with scopes_disabled():
        Problem.objects.filter(pk__in=[p.pk for p in problems]).update(state=ProblemState.HANDLED)


def test_the_connections_list_counts_open_problems_of_each_connection(owner_client, merchant, other_merchant, connection, other_connection):
    quiet = make_connection(merchant, shop_id="1-m!i!s-045-3000")  # noqa: F405
    raise_on(merchant, connection, 2, "open")
    resolve(raise_on(merchant, connection, 3, "done"))
    resolve(raise_on(merchant, quiet, 1, "quiet"))
    raise_on(other_merchant, other_connection, 4, "theirs")
    html = owner_client.get(reverse("connections:list")).content.decode()
    badges = re.findall(r'href="[^"]*\?connection=(\d+)">(\d+)</a>', html)
    assert badges == [(str(connection.pk), "2")]  # the quiet one shows 0, without a link


def test_pages_that_list_connections_read_no_problem_history(owner_client, merchant, connection):
    resolve(raise_on(merchant, connection, 3, "done"))
    for url in (reverse("orders:list"), reverse("catalog:index"), reverse("rma:list")):
        with CaptureQueriesContext(db) as queries:
            assert owner_client.get(url).status_code == 200
        assert not [q["sql"] for q in queries if "JOIN \"connections_problem\"" in q["sql"]], url
