"""The errors inbox services: dedupe by fingerprint, redacted excerpts, the kind registry and the actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django_scopes import scopes_disabled

from connections.models import Problem, ProblemState
from connections.sync.problems import (
    ProblemActionRefused,
    problem_handle,
    problem_ignore,
    problem_raise,
    problem_retry,
    problem_retry_all,
    register_problem_kind,
)
from koongo.accounts.tenancy import merchant_scope
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def kinds(monkeypatch):
    """Two kinds: one that retries by recording the problem, one that cannot be retried."""
    from connections.sync import problems

    monkeypatch.setattr(problems, "_kinds", dict(problems._kinds))
    retried: list[int] = []
    register_problem_kind("quarantined", label="Quarantined payload", retry=lambda problem: retried.append(problem.pk))
    register_problem_kind("unmatched", label="Unmatched product")
    return retried


def raise_unmatched(merchant, ean="5701234567890", **extra):
    return problem_raise(
        merchant=merchant,
        kind="unmatched",
        message=f"No product with EAN {ean}",
        fingerprint=f"unmatched:{ean}",
        subject_type="transfer",
        subject_id=17,
        **extra,
    )


def all_problems():
    with scopes_disabled():
        return list(Problem.objects.order_by("pk").values_list("merchant_id", "kind", "state", "occurrences", "message"))


def test_the_same_fingerprint_counts_occurrences_instead_of_duplicating(merchant, other_merchant, connection, kinds):
    first = raise_unmatched(merchant, connection=connection, excerpt={"ean": "5701234567890", "api_key": "k"})
    second = raise_unmatched(merchant, excerpt={"ean": "5701234567890", "seen": 2})
    raise_unmatched(other_merchant)
    assert second.pk == first.pk
    assert all_problems() == [
        (merchant.pk, "unmatched", "open", 2, "No product with EAN 5701234567890"),
        (other_merchant.pk, "unmatched", "open", 1, "No product with EAN 5701234567890"),
    ]
    assert (first.excerpt, second.excerpt) == ({"ean": "5701234567890", "api_key": "***"}, {"ean": "5701234567890", "seen": 2})
    assert (second.connection_id, second.subject_type, second.subject_id) == (connection.pk, "transfer", "17")


def test_a_closed_problem_that_recurs_opens_a_new_one(merchant, kinds):
    first = raise_unmatched(merchant)
    with merchant_scope(merchant):
        problem_handle(merchant=merchant, problem=first, by="owner")
    again = raise_unmatched(merchant)
    assert again.pk != first.pk
    assert [row[2:4] for row in all_problems()] == [("handled", 1), ("open", 1)]


def test_a_long_fingerprint_is_shortened_but_stays_distinct(merchant, kinds):
    a = raise_unmatched(merchant, ean="1" * 300)
    b = raise_unmatched(merchant, ean="1" * 299 + "2")
    assert a.pk != b.pk
    assert (len(a.fingerprint), a.fingerprint[:20]) == (200, "unmatched:1111111111")


def test_an_unregistered_kind_is_refused(merchant, kinds):
    with pytest.raises(ValueError, match="no problem kind 'typo' is registered"):
        problem_raise(merchant=merchant, kind="typo", message="x", fingerprint="x")
    assert all_problems() == []


@pytest.mark.parametrize(
    ("action", "state"),
    [(problem_handle, ProblemState.HANDLED), (problem_ignore, ProblemState.IGNORED)],
    ids=["handle", "ignore"],
)
def test_handle_and_ignore_record_who_and_when(merchant, kinds, action, state):
    problem = raise_unmatched(merchant)
    with time_machine.travel(T0, tick=False):
        action(merchant=merchant, problem=problem, by="staff@a.example")
    with scopes_disabled():
        problem.refresh_from_db()
    assert (problem.state, problem.resolved_by, problem.resolved_at) == (state, "staff@a.example", T0)
    with pytest.raises(ProblemActionRefused, match=f"This problem is already {state.label.lower()}."):
        problem_handle(merchant=merchant, problem=problem, by="someone else")
    with scopes_disabled():
        problem.refresh_from_db()
    assert problem.resolved_by == "staff@a.example"


def test_retry_calls_the_kinds_handler(merchant, kinds):
    problem = problem_raise(merchant=merchant, kind="quarantined", message="bad JSON", fingerprint="q:1")
    problem = problem_retry(merchant=merchant, problem=problem, by="owner")
    assert kinds == [problem.pk]
    assert problem.state == ProblemState.RETRIED


def test_a_kind_without_a_retry_handler_cannot_be_retried(merchant, kinds):
    problem = raise_unmatched(merchant)
    with pytest.raises(ProblemActionRefused, match="Unmatched product problems cannot be retried"):
        problem_retry(merchant=merchant, problem=problem, by="owner")
    with pytest.raises(ProblemActionRefused):
        problem_retry_all(merchant=merchant, kind="unmatched", by="owner")
    assert [row[2] for row in all_problems()] == ["open"]


def test_retry_all_touches_only_open_problems_of_the_kind_and_merchant(merchant, other_merchant, kinds):
    ours = [problem_raise(merchant=merchant, kind="quarantined", message="bad", fingerprint=f"q:{i}") for i in range(3)]
    with merchant_scope(merchant):
        problem_ignore(merchant=merchant, problem=ours[0], by="owner")
    theirs = problem_raise(merchant=other_merchant, kind="quarantined", message="bad", fingerprint="q:0")
    raise_unmatched(merchant)
    assert problem_retry_all(merchant=merchant, kind="quarantined", by="owner") == 2
    assert sorted(kinds) == [ours[1].pk, ours[2].pk]
    with scopes_disabled():
        states = dict(Problem.objects.values_list("pk", "state"))
    assert [states[p.pk] for p in ours] == ["ignored", "retried", "retried"]
    assert states[theirs.pk] == "open"
