"""The webhook events of connections and problems: each builds its payload for webhooks.events (one line per call site)."""

from __future__ import annotations

from webhooks import event_types as t
from webhooks.events import emit, emit_many


def _problem(problem) -> tuple[dict, str]:
    data = {"connection_id": problem.connection_id, "problem_id": problem.pk, "kind": problem.kind,
            "message": problem.message[:1000], "state": problem.state}
    return data, f"problem:{problem.pk}"


def problem_opened(problem) -> None:
    emit_many(problem.merchant_id, t.PROBLEM_OPENED, [_problem(problem)])


def problems_closed(problems) -> None:
    problems = list(problems)
    if problems:
        emit_many(problems[0].merchant_id, t.PROBLEM_CLOSED, [_problem(p) for p in problems])


def _connection(connection) -> tuple[dict, str]:
    data = {"connection_id": connection.pk, "reason": connection.paused_reason, "source": connection.paused_source,
            "paused_at": connection.paused_at.isoformat() if connection.paused_at else None}
    return data, f"connection:{connection.pk}"


def connections_paused(connections) -> None:
    connections = list(connections)
    if connections:
        emit_many(connections[0].merchant_id, t.CONNECTION_PAUSED, [_connection(c) for c in connections])


def connections_resumed(connections) -> None:
    connections = list(connections)
    if connections:
        emit_many(connections[0].merchant_id, t.CONNECTION_RESUMED, [_connection(c) for c in connections])


def connection_stale(connection) -> None:
    data = {"connection_id": connection.pk, "stale_since": connection.stale_since.isoformat(),
            "last_success_at": connection.last_success_at.isoformat() if connection.last_success_at else None,
            "reason": connection.stale_reason}
    emit(connection.merchant_id, t.CONNECTION_STALE, data, object_key=f"connection:{connection.pk}")
