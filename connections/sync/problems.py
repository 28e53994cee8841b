"""The errors inbox: raise a problem (deduplicated by fingerprint), the registry of problem kinds, and their actions.

Apps register their kinds in `AppConfig.ready()`; retry is whatever the kind's handler does, e.g. re-run a dead outbox row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from connections import events as connection_events
from connections.models import MiintoConnection, Problem, ProblemState, StoreConnection
from connections.sync.activity import payload_excerpt
from koongo.accounts.tenancy import merchant_scope

FINGERPRINT_MAX = 200


class ProblemActionRefused(Exception):
    """An action the problem's state or kind does not allow; the message is shown to the user."""


@dataclass(frozen=True)
class ProblemKind:
    """What a kind of problem is called and how it is retried; `retry_many` is an optional bulk form of `retry`."""

    code: str
    label: str | Promise  # a gettext_lazy title, translated where it is shown
    retry: Callable[[Problem], None] | None = None
    retry_many: Callable[[list[Problem]], None] | None = None

    @property
    def retryable(self) -> bool:
        return self.retry is not None


_kinds: dict[str, ProblemKind] = {}


def register_problem_kind(
    code: str,
    *,
    label: str | Promise,
    retry: Callable[[Problem], None] | None = None,
    retry_many: Callable[[list[Problem]], None] | None = None,
) -> ProblemKind:
    """Declare a kind of problem; `retry(problem)` re-attempts whatever failed, in the problem's merchant scope."""
    kind = ProblemKind(code=code, label=label, retry=retry, retry_many=retry_many)
    _kinds[code] = kind
    return kind


def problem_kinds() -> dict[str, ProblemKind]:
    return dict(_kinds)


def problem_kind(code: str) -> ProblemKind:
    try:
        return _kinds[code]
    except KeyError:
        raise ValueError(f"no problem kind {code!r} is registered") from None


def _fingerprint(value: str) -> str:
    if len(value) <= FINGERPRINT_MAX:
        return value
    # Keep a readable prefix and make the rest unique: the column is short, the dedupe must stay exact.
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{value[: FINGERPRINT_MAX - 65]}:{digest}"


def problem_raise(
    *,
    merchant,
    kind: str,
    message: str,
    fingerprint: str,
    connection: MiintoConnection | None = None,
    store_connection: StoreConnection | None = None,
    excerpt=None,
    subject_type: str = "",
    subject_id: str | int = "",
) -> Problem:
    """Open a problem, or count one more occurrence of the open problem with the same fingerprint."""
    problem_kind(kind)
    fingerprint = _fingerprint(fingerprint)
    now = timezone.now()
    latest = {"message": message, "excerpt": payload_excerpt(excerpt), "updated_at": now}
    with merchant_scope(merchant), transaction.atomic():
        open_same = Problem.objects.filter(merchant=merchant, fingerprint=fingerprint, state=ProblemState.OPEN)
        if open_same.update(occurrences=F("occurrences") + 1, **latest):
            return open_same.get()
        try:
            with transaction.atomic():
                problem = Problem.objects.create(
                    merchant=merchant,
                    kind=kind,
                    fingerprint=fingerprint,
                    connection=connection,
                    store_connection=store_connection,
                    subject_type=subject_type,
                    subject_id=str(subject_id),
                    created_at=now,
                    **latest,
                )
                connection_events.problem_opened(problem)
                return problem
        except IntegrityError:
            # Another worker opened it between our update and our insert; the partial unique index chose that one.
            open_same.update(occurrences=F("occurrences") + 1, **latest)
            return open_same.get()


def _lock_open(merchant, problem: Problem) -> Problem:
    locked = Problem.objects.select_for_update().get(pk=problem.pk, merchant=merchant)
    if not locked.is_open:
        raise ProblemActionRefused(_("This problem is already %(state)s.") % {"state": locked.get_state_display().lower()})
    return locked


def _close(problem: Problem, state: str, by: str) -> Problem:
    problem.set_state(state)
    problem.resolved_at = timezone.now()
    problem.resolved_by = by[:200]
    problem.save(update_fields=["state", "resolved_at", "resolved_by"])
    connection_events.problems_closed([problem])
    return problem


def problem_retry(*, merchant, problem: Problem, by: str) -> Problem:
    """Run the kind's retry now and mark the problem retried; if it fails again, a new problem opens."""
    kind = problem_kind(problem.kind)
    if not kind.retryable:
        raise ProblemActionRefused(
            _("%(kind)s problems cannot be retried; handle them manually or ignore them.") % {"kind": kind.label}
        )
    with merchant_scope(merchant), transaction.atomic():
        locked = _lock_open(merchant, problem)
        kind.retry(locked)
        return _close(locked, ProblemState.RETRIED, by)


def problem_retry_all(*, merchant, kind: str, by: str) -> int:
    """Retry every open problem of one kind; returns how many were retried."""
    spec = problem_kind(kind)
    if not spec.retryable:
        raise ProblemActionRefused(_("%(kind)s problems cannot be retried.") % {"kind": spec.label})
    with merchant_scope(merchant), transaction.atomic():
        # Locked so that a concurrent retry-all or single retry cannot run the same problem twice.
        problems = list(Problem.objects.select_for_update().filter(merchant=merchant, kind=kind, state=ProblemState.OPEN))
        if not problems:
            return 0
        if spec.retry_many:
            spec.retry_many(problems)
        else:
            for problem in problems:
                spec.retry(problem)
        _close_many(problems, ProblemState.RETRIED, by)
        return len(problems)


def _close_many(problems: Iterable[Problem], state: str, by: str) -> None:
    pks = []
    for problem in problems:
        problem.set_state(state)
        pks.append(problem.pk)
    Problem.objects.filter(pk__in=pks).update(state=state, resolved_at=timezone.now(), resolved_by=by[:200])
    connection_events.problems_closed(problems)


def problem_handle(*, merchant, problem: Problem, by: str) -> Problem:
    """Someone dealt with it outside the system (e.g. fixed the order in the store by hand)."""
    with merchant_scope(merchant), transaction.atomic():
        return _close(_lock_open(merchant, problem), ProblemState.HANDLED, by)


def problem_ignore(*, merchant, problem: Problem, by: str) -> Problem:
    """Nothing needs doing; the problem leaves the inbox."""
    with merchant_scope(merchant), transaction.atomic():
        return _close(_lock_open(merchant, problem), ProblemState.IGNORED, by)


PROBLEM_ACTIONS = {"retry": problem_retry, "handle": problem_handle, "ignore": problem_ignore}
