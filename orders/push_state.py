"""Where a transfer's pushes stand (tell Miinto, put the order in the store), for the order page's live panel."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from connections.models import OutboxState
from orders.models import DecisionPush, StorePush, Transfer

# A push in one of these states is still on its way, so the panel keeps polling.
MOVING_STATES = (OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED)


@dataclass(frozen=True)
class PushLine:
    label: str
    state: str
    state_label: str
    last_error: str


def transfer_push_lines(transfer: Transfer) -> list[PushLine]:
    """The transfer's latest decision push and its orders' store pushes, oldest first."""
    lines = []
    decision = DecisionPush.objects.filter(transfer=transfer).order_by("-pk").first()
    if decision is not None:
        lines.append(PushLine(gettext("Tell Miinto the decisions"), decision.state, decision.get_state_display(), decision.last_error))
    for push in StorePush.objects.filter(order__transfer=transfer).order_by("pk"):
        lines.append(PushLine(push.get_kind_display(), push.state, push.get_state_display(), push.last_error))
    return lines


def still_moving(lines: list[PushLine]) -> bool:
    return any(line.state in MOVING_STATES for line in lines)
