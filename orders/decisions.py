"""Deciding positions, by the rule or by the merchant: each decision is written with its outbox row, exactly once."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum

from catalog.models import ProductListing
from catalog.selectors import reference_price_from
from connections.models import MiintoConnection, OrderConfiguration
from connections.sync.outbox import outbox_schedule
from koongo.observability import metrics
from orders import events as order_events
from orders.matching import STOCK_UNCONFIRMED
from orders.models import DecidedBy, Decision, DecisionPush, Position, PositionStatus, Transfer
from orders.rules import Outcome, Reason, RuleInput, Verdict, decide


def promised_stock(product_ids) -> dict[int, int]:
    """Units accepted but not yet in the store, per product, across every connection: they count as taken."""
    rows = (
        Position.objects.filter(product_id__in=product_ids, awaiting_store=True)
        .values("product_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["product_id"]: row["units"] for row in rows}


def decision_push_for(connection: MiintoConnection, transfer: Transfer) -> DecisionPush:
    """A pending push for this transfer, or a new one: one PATCH carries every decision not yet sent."""
    return decision_pushes_for(connection, [transfer])[0]


def decision_pushes_for(connection: MiintoConnection, transfers: list[Transfer], *, collect: list | None = None) -> list[DecisionPush]:
    """Each transfer's pending push, or a new one, in three queries for any number of transfers.

    New pushes are published to the workers when the transaction commits, unless `collect` is given: then they are
    appended to it for the caller to run inline (the sweeper runs them should the caller die first).
    """
    if not transfers:
        return []
    ids = [t.pk for t in transfers]
    pending = {p.transfer_id: p for p in DecisionPush.objects.filter(transfer_id__in=ids, state__in=["pending", "failed"])}
    missing = [t for t in transfers if t.pk not in pending]
    if missing:
        counts = dict(
            DecisionPush.objects.filter(transfer_id__in=[t.pk for t in missing]).values_list("transfer_id").annotate(n=Count("id"))
        )
        created = DecisionPush.objects.bulk_create([
            DecisionPush(merchant_id=connection.merchant_id, connection=connection, transfer=transfer,
                         idempotency_key=f"decide:{transfer.pk}:{counts.get(transfer.pk, 0) + 1}")
            for transfer in missing
        ])
        for push in created:
            pending[push.transfer_id] = push
            if collect is None:
                outbox_schedule(push)
            else:
                collect.append(push)
    return [pending[t.pk] for t in transfers]


def _record(position: Position, outcome: str, reason: str, decided_by: str, inputs: dict, actor: str = "") -> Decision:
    position.set_status(PositionStatus.ACCEPTED if outcome == Outcome.ACCEPT else PositionStatus.DECLINED)
    position.awaiting_store = outcome == Outcome.ACCEPT
    position.wait_reason = ""
    return Decision(merchant_id=position.merchant_id, position=position, outcome=str(outcome), reason=reason, decided_by=decided_by,
                    actor=actor, inputs=inputs)


def _count_on_commit(decisions: list[Decision], *, rule: str) -> None:
    """Count decisions once they are committed; a manual reason is the merchant's own text, so it is not a label."""
    counts = Counter((d.outcome, d.reason if rule == "auto" else "manual") for d in decisions)

    def count():
        for (outcome, reason), number in counts.items():
            metrics.POSITIONS_DECIDED.labels(DECIDED[outcome], rule, reason).inc(number)

    transaction.on_commit(count)


DECIDED = {"accept": "accepted", "decline": "declined"}


@transaction.atomic
def positions_auto_decide(connection: MiintoConnection, configuration: OrderConfiguration, positions: list[Position], *,
                          may_decline_not_found: bool = True, collect: list | None = None) -> dict[str, int]:
    """Run the rule over the page's undecided positions; returns counts of accepted, declined and waiting.

    Without `may_decline_not_found` (matching suspects a configuration mismatch) an unmatched position waits instead.
    With `collect`, new decision pushes go there for the caller to run once this commits (see `decision_pushes_for`).

    Stock accepted earlier in the same page is taken from what later positions see, so two positions never both get
    the last unit; other connections' promises come from `promised_stock`.
    """
    undecided = [p for p in positions if p.status == PositionStatus.PENDING]
    if not undecided:
        return {"accepted": 0, "declined": 0, "waiting": 0}
    # Lock the rows: a manual decision racing the rule must find them decided, not decide them twice.
    locked = {p.pk: p for p in Position.objects.select_for_update().filter(pk__in=[p.pk for p in undecided], status=PositionStatus.PENDING)}
    undecided = [p for p in undecided if p.pk in locked]
    product_ids = {p.product_id for p in undecided if p.product_id}
    promised = promised_stock(product_ids)
    listings = {
        listing.product_id: listing for listing in ProductListing.objects.filter(connection=connection, product_id__in=product_ids)
    }
    taken: dict[int, int] = defaultdict(int)
    decisions, waiting, touched_transfers = [], [], {}
    for position in undecided:
        if position.wait_reason == STOCK_UNCONFIRMED:  # matching could not read its stock this run: never guess
            waiting.append(position)
            continue
        product = position.product
        reference = reference_price_from(product, listings.get(product.pk), configuration.reference_price_attribute) if product else None
        available = None
        if product is not None and product.stock is not None:
            available = product.stock - promised.get(product.pk, 0) - taken[product.pk]
        facts = RuleInput(
            unit_price=position.unit_price, currency=position.currency, quantity=position.quantity, product_found=product is not None,
            available_stock=available, reference_price=reference.price if reference else None,
            reference_currency=reference.currency if reference else "", reference_source=reference.source if reference else "",
            threshold=configuration.price_threshold,
        )
        verdict = decide(facts)
        if verdict.reason == Reason.PRODUCT_NOT_FOUND and not may_decline_not_found:
            verdict = Verdict(Outcome.WAIT, Reason.PRODUCT_NOT_FOUND)
        inputs = facts.as_record() | {"minimum_price": str(verdict.minimum_price) if verdict.minimum_price is not None else None}
        if verdict.outcome == Outcome.WAIT:
            # A mismatch hold keeps the reason matching gave it: it says what to fix.
            held = verdict.reason == Reason.PRODUCT_NOT_FOUND and position.wait_reason
            position.wait_reason = position.wait_reason if held else str(verdict.reason)
            waiting.append(position)
            continue
        if verdict.outcome == Outcome.ACCEPT:
            taken[product.pk] += position.quantity
        decisions.append(_record(position, verdict.outcome, str(verdict.reason), DecidedBy.RULE, inputs))
        touched_transfers[position.transfer_id] = position.transfer
    Position.objects.bulk_update([d.position for d in decisions] + waiting, ["status", "awaiting_store", "wait_reason"])
    Decision.objects.bulk_create(decisions)
    _count_on_commit(decisions, rule="auto")
    order_events.positions_decided(decisions)
    decision_pushes_for(connection, list(touched_transfers.values()), collect=collect)
    accepted = sum(1 for d in decisions if d.outcome == Outcome.ACCEPT)
    return {"accepted": accepted, "declined": len(decisions) - accepted, "waiting": len(waiting)}


@transaction.atomic
def positions_decide(*, merchant, positions: list[Position], outcome: str, actor: str, reason: str = "") -> list[Decision]:
    """The merchant accepts or declines pending positions (one, or a whole transfer); refuses any already decided."""
    if outcome not in (Outcome.ACCEPT, Outcome.DECLINE):
        raise ValidationError({"outcome": "Choose accept or decline."})
    locked = list(Position.objects.select_for_update().filter(merchant=merchant, pk__in=[p.pk for p in positions]).select_related("transfer", "connection"))
    decided = [p.miinto_id for p in locked if p.status != PositionStatus.PENDING]
    if decided:
        raise ValidationError({"positions": f"Already decided: {', '.join(map(str, decided))}. A position is decided exactly once."})
    inputs = {"manual": True, "unit_price": None}
    decisions = []
    for position in locked:
        decision = _record(position, outcome, reason or f"manual_{outcome}", DecidedBy.MERCHANT, {**inputs, "unit_price": str(position.unit_price)}, actor)
        decisions.append(decision)
    Position.objects.bulk_update(locked, ["status", "awaiting_store", "wait_reason"])
    try:
        with transaction.atomic():
            Decision.objects.bulk_create(decisions)
    except IntegrityError:
        raise ValidationError({"positions": "Another decision was recorded at the same time; reload and check."}) from None
    _count_on_commit(decisions, rule="manual")
    order_events.positions_decided(decisions)
    by_connection: dict[int, list[Transfer]] = defaultdict(list)
    for transfer in {p.transfer_id: p.transfer for p in locked}.values():
        by_connection[transfer.connection_id].append(transfer)
    for transfers in by_connection.values():
        decision_pushes_for(transfers[0].connection, transfers)
    return decisions
