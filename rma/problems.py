"""The Needs-attention items RMA sync raises in the errors inbox, with the lines and amounts the merchant needs."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from connections.models import Problem, ProblemState
from connections.sync.problems import problem_handle, problem_ignore, problem_raise
from koongo.money import money_text

MANUAL_REFUND = "rma_manual_refund"
BACK_OFFICE = "rma_back_office"
REFUND_MISMATCH = "rma_refund_mismatch"

LABELS = {
    MANUAL_REFUND: _("Enter a return in the store by hand"),
    BACK_OFFICE: _("Create an RMA in the Miinto back office"),
    REFUND_MISMATCH: _("Store refund does not match an RMA"),
}

# Subjects the problems (and the Communications log) are filed under.
SUBJECT_RMA = "rma"
SUBJECT_STORE_REFUND = "store_refund"
SUBJECT_REQUEST = "rma_request"
SUBJECT_ORDER_REFUNDS = "order_refunds"


def _fingerprint(kind: str, subject_type: str, subject_id) -> str:
    return f"{kind}:{subject_type}:{subject_id}"


def describe_lines(lines) -> str:
    """'2 × TEE-BLK-M (position 1001) 200.00; …' for messages a merchant acts on by hand."""
    parts = []
    for line in lines:
        label = line.get("sku") or "item"
        position = f" (position {line['miinto_position_id']})" if line.get("miinto_position_id") else ""
        amount = f" {Decimal(str(line['amount'])):.2f}" if line.get("amount") not in (None, "") else ""
        parts.append(f"{line['quantity']} × {label}{position}{amount}")
    return "; ".join(parts)


def manual_refund_raise(rma, lines: list[dict], why: str) -> Problem:
    """An accepted customer RMA that we cannot refund in the store: the merchant enters it by hand, then presses Done."""
    order = rma.order
    reference = f"store order {order.store_order_name or order.store_order_id}" if order and order.store_order_id else "the order"
    return problem_raise(
        merchant=rma.merchant,
        kind=MANUAL_REFUND,
        connection=rma.connection,
        message=(
            f"Enter this return in your store by hand: Miinto RMA {rma.miinto_id} on Miinto order {rma.order_number} "
            f"({reference}), {describe_lines(lines)}, total {money_text(rma.amount, rma.currency)}. {why}"
        ),
        fingerprint=_fingerprint(MANUAL_REFUND, SUBJECT_RMA, rma.pk),
        excerpt={"lines": lines, "total": str(rma.amount), "currency": rma.currency},
        subject_type=SUBJECT_RMA,
        subject_id=rma.pk,
    )


def back_office_raise(push, status: int) -> Problem:
    """Miinto cannot take RMA requests (404/405): the merchant creates the RMA in the Miinto back office instead."""
    order = push.order
    subject = (SUBJECT_STORE_REFUND, push.store_refund.pk) if push.store_refund_id else (SUBJECT_REQUEST, push.pk)
    total = sum((Decimal(str(p.get("amount") or 0)) for p in push.positions), Decimal("0"))
    return problem_raise(
        merchant=push.merchant,
        kind=BACK_OFFICE,
        connection=push.connection,
        message=(
            f"Create this RMA in the Miinto back office: Miinto order {order.miinto_id}, {describe_lines(push.positions)}, "
            f"total {money_text(total, order.currency)}. Miinto answered {status} to the RMA request, so it is not retried."
        ),
        fingerprint=_fingerprint(BACK_OFFICE, *subject),
        excerpt={"order": order.miinto_id, "positions": push.positions, "reason": push.reason},
        subject_type=subject[0],
        subject_id=subject[1],
    )


def mismatch_raise(store_refund, why: str) -> Problem:
    """A store refund we will not turn into anything on a guess: both item lists go to the merchant."""
    return problem_raise(
        merchant=store_refund.merchant,
        kind=REFUND_MISMATCH,
        connection=store_refund.connection,
        store_connection=store_refund.store_connection,
        message=(
            f"Store refund {store_refund.store_refund_id} on Miinto order {store_refund.order.miinto_id} "
            f"({describe_lines(store_refund.lines) or 'no items'}): {why} Choose: accept the RMA, create an RMA request, or ignore."
        ),
        fingerprint=_fingerprint(REFUND_MISMATCH, SUBJECT_STORE_REFUND, store_refund.pk),
        excerpt={"lines": store_refund.lines, "total": str(store_refund.total)},
        subject_type=SUBJECT_STORE_REFUND,
        subject_id=store_refund.pk,
    )


def open_problems(merchant, subject_type: str, subject_ids) -> dict[str, list[Problem]]:
    """Open RMA problems per subject id (as text), in one query."""
    found: dict[str, list[Problem]] = {}
    problems = Problem.objects.filter(
        merchant=merchant, state=ProblemState.OPEN, kind__in=list(LABELS), subject_type=subject_type,
        subject_id__in=[str(i) for i in subject_ids],
    )
    for problem in problems:
        found.setdefault(problem.subject_id, []).append(problem)
    return found


def problems_close(merchant, kind: str, subject_type: str, subject_id, by: str, *, ignore: bool = False) -> int:
    """Close the subject's open problem of this kind: handled (the merchant did what it asked) or ignored."""
    close = problem_ignore if ignore else problem_handle
    problems = Problem.objects.filter(
        merchant=merchant, kind=kind, subject_type=subject_type, subject_id=str(subject_id), state=ProblemState.OPEN
    )
    closed = 0
    for problem in problems:
        close(merchant=merchant, problem=problem, by=by)
        closed += 1
    return closed
