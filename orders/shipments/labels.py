"""Miinto shipping labels: poll for each accepted order's PDF with backoff, store it, and hand it out by capability link.

The link's token (256 random bits) is looked up by its SHA-256; the token itself is kept only encrypted, to show
the link again to the merchant's users. The link goes to the order's Comment tab and to the store order's note.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import random
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from connections import clients
from connections.models import Direction, MiintoConnection, OutboxState, SyncLevel
from connections.sync.activity import activity_on_call
from connections.sync.outbox import Waiting, outbox_execute, outbox_schedule
from connections.sync.problems import ProblemActionRefused, problem_raise
from connections.sync.runs import RunContext
from koongo.http import PermanentError, RateLimited, TransientError
from orders import events as order_events
from orders.comments import KOONGO, comment_add
from orders.models import (
    Label,
    LabelFetch,
    LabelFetchState,
    LabelLink,
    LabelNotePush,
    Order,
    StorePush,
)
from platforms.values import StoreOrderRef

LABEL_UNAVAILABLE = "label_unavailable"
TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
FETCH_BATCH = 200
NOTE_MAX_ATTEMPTS = 10


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return _setting("LABEL_FETCH_MAX_ATTEMPTS", 12)


def backoff(attempts: int, rand=random.random) -> timedelta:
    """Wait after `attempts` misses: doubling from LABEL_FETCH_BACKOFF_BASE up to LABEL_FETCH_BACKOFF_MAX, with equal jitter.

    With the defaults (5 minutes, 4 hours, 12 attempts) a label that never comes is given up on after about a day.
    """
    base = _setting("LABEL_FETCH_BACKOFF_BASE", timedelta(minutes=5)).total_seconds()
    ceiling = min(_setting("LABEL_FETCH_BACKOFF_MAX", timedelta(hours=4)).total_seconds(), base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=ceiling / 2 + rand() * ceiling / 2)


# --- the flow ------------------------------------------------------------------------------


def labels_flow(ctx: RunContext) -> None:
    """One run: plan a fetch for each new order, try the due ones, then put new links in store order notes."""
    connection = ctx.connection
    label_fetches_plan(connection)
    due = list(
        LabelFetch.objects.filter(connection=connection, state=LabelFetchState.WAITING, next_attempt_at__lte=timezone.now())
        .select_related("order", "connection")
        .order_by("next_attempt_at", "pk")[:FETCH_BATCH]
    )
    ctx.set_total(len(due))
    outcomes = {"fetched": 0, "waiting": 0, "given_up": 0}
    recorder = ctx.recorder(Direction.TO_MIINTO)
    with clients.miinto_client(connection, on_call=recorder) as client:
        for fetch in due:
            try:
                # Filed under the order, so the call shows on its Communications tab.
                with recorder.about("order", fetch.order_id, operation="label"):
                    outcomes[label_fetch_attempt(fetch=fetch, client=client)] += 1
            except RateLimited as error:
                ctx.note_error(f"Miinto asked us to slow down; the remaining labels wait for the next run ({error}).")
                break
    # seen: Miinto asked; pushed: labels stored and links put in store notes; skipped: still waiting; failed: given up.
    notes = label_note_pushes_execute(connection)
    ctx.bump(
        seen=sum(outcomes.values()), pushed=outcomes["fetched"] + notes, skipped=outcomes["waiting"], failed=outcomes["given_up"]
    )


def label_fetches_plan(connection: MiintoConnection) -> int:
    """A fetch for every recent order of the connection that has none yet (the step after acceptance); one query each way.

    Orders older than LABEL_FETCH_LOOKBACK (30 days) are left alone: a label would have come long ago.
    """
    since = timezone.now() - _setting("LABEL_FETCH_LOOKBACK", timedelta(days=30))
    missing = Order.objects.filter(connection=connection, created_at__gte=since).exclude(
        Exists(LabelFetch.objects.filter(order=OuterRef("pk")))
    )
    fetches = [
        LabelFetch(merchant_id=connection.merchant_id, connection=connection, order_id=pk)
        for pk in missing.values_list("pk", flat=True)
    ]
    LabelFetch.objects.bulk_create(fetches, ignore_conflicts=True)
    return len(fetches)


def label_fetch_schedule(order: Order, *, new: bool = False) -> LabelFetch:
    """Plan the label fetch of one order now, e.g. right after it is saved; the labels flow does it otherwise.

    `new`: the order was created in the caller's transaction, so it has no fetch yet and one INSERT does.
    """
    if new:
        return LabelFetch.objects.create(order=order, merchant_id=order.merchant_id, connection_id=order.connection_id)
    fetch, _ = LabelFetch.objects.get_or_create(
        order=order, defaults={"merchant_id": order.merchant_id, "connection_id": order.connection_id}
    )
    return fetch


def label_fetch_attempt(*, fetch: LabelFetch, client) -> str:
    """Ask Miinto once; store the label, or count a miss and wait (giving up after the last attempt)."""
    order = fetch.order
    error = ""
    try:
        pdf = client.label_pdf(fetch.connection.shop_id, order.miinto_id)
    except RateLimited:
        raise
    except (TransientError, PermanentError) as failure:
        pdf, error = None, f"{type(failure).__name__}: {failure}"
    if pdf:
        label_store(fetch=fetch, pdf=pdf)
        return "fetched"
    return _missed(fetch, error or "Miinto has no label for this order yet.")


def _missed(fetch: LabelFetch, error: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        fetch = LabelFetch.objects.select_for_update(of=("self",)).select_related("order", "connection").get(pk=fetch.pk)
        if fetch.state != LabelFetchState.WAITING:
            return "fetched" if fetch.state == LabelFetchState.FETCHED else "given_up"
        fetch.attempts += 1
        fetch.last_error = error[:2000]
        if fetch.attempts < max_attempts():
            fetch.next_attempt_at = now + backoff(fetch.attempts)
            fetch.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return "waiting"
        fetch.set_state(LabelFetchState.GIVEN_UP)
        fetch.save(update_fields=["attempts", "last_error", "state"])
        order = fetch.order
        problem_raise(
            merchant=fetch.merchant,
            kind=LABEL_UNAVAILABLE,
            message=f"Miinto had no shipping label for order {order.parent_order_id or order.miinto_id} after {fetch.attempts} attempts "
            f"since {fetch.created_at:%Y-%m-%d %H:%M} UTC. Download it in Miinto's back office, or retry. Last answer: {error}",
            fingerprint=f"{LABEL_UNAVAILABLE}:{order.pk}",
            connection=fetch.connection,
            subject_type="label_fetch",
            subject_id=fetch.pk,
        )
        return "given_up"


def retry_label_fetch(problem) -> None:
    """The Problem's Retry: a fresh budget of attempts, starting at the next labels run."""
    fetch = LabelFetch.objects.filter(pk=problem.subject_id).first()
    if fetch is None:
        raise ProblemActionRefused("The label fetch of this problem no longer exists; mark the problem handled.")
    if fetch.state == LabelFetchState.FETCHED:
        raise ProblemActionRefused("This label has been fetched already; mark the problem handled.")
    if fetch.state == LabelFetchState.GIVEN_UP:
        fetch.set_state(LabelFetchState.WAITING)
    fetch.attempts, fetch.next_attempt_at = 0, timezone.now()
    fetch.save(update_fields=["state", "attempts", "next_attempt_at"])


# --- storing the label and its link --------------------------------------------------------


def label_store(*, fetch: LabelFetch, pdf: bytes) -> Label | None:
    """Save the PDF through the storage API, make its link, comment on the order and queue the store note; once."""
    with transaction.atomic():
        fetch = (
            LabelFetch.objects.select_for_update(of=("self",))
            .select_related("order", "connection__store_connection")
            .get(pk=fetch.pk)
        )
        if fetch.state != LabelFetchState.WAITING:
            return None
        order, connection = fetch.order, fetch.connection
        label = Label(
            merchant_id=fetch.merchant_id,
            connection=connection,
            order=order,
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        label.file.save("label.pdf", ContentFile(pdf), save=False)
        label.save()
        link = label_link_create(label=label)
        comment_add(merchant=order.merchant, order=order, author=KOONGO, body="Miinto shipping label", label_link=link)
        if _store_takes_notes(connection):
            push = LabelNotePush.objects.create(
                merchant_id=fetch.merchant_id,
                connection=connection,
                link=link,
                idempotency_key=f"label-note:{connection.pk}:{link.pk}",
            )
            outbox_schedule(push)
        fetch.set_state(LabelFetchState.FETCHED)
        fetch.fetched_at = timezone.now()
        fetch.save(update_fields=["state", "fetched_at"])
        order_events.label_ready(label)
    return label


def _store_takes_notes(connection: MiintoConnection) -> bool:
    """A note is added where there is a store order (Orders & Stock) on a platform that supports notes."""
    from platforms import registry
    from platforms.capabilities import Capability

    store = connection.store_connection
    if store is None or connection.order_configuration.sync_level == SyncLevel.STOCK_ONLY:
        return False
    try:
        return Capability.ORDER_NOTES in registry.adapter_class(store.platform).capabilities
    except KeyError:
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def label_link_create(*, label: Label) -> LabelLink:
    """A new capability link: 256 random bits, looked up by digest, never stored in plaintext."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return LabelLink.objects.create(merchant_id=label.merchant_id, label=label, token_hash=token_digest(token), token=token)


def label_url(link: LabelLink) -> str:
    return f"{settings.SITE_URL}{reverse('orders:label-download', kwargs={'token': link.token})}"


def label_link_find(token: str) -> LabelLink | None:
    """The live link for a token, or None for a wrong, malformed or revoked one (all answered the same: 404)."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    digest = token_digest(token)
    # A capability-URL lookup: there is no session or key; the owner's scope is entered once the link is found.
    with scopes_disabled():
        link = LabelLink.objects.select_related("label__order", "merchant").filter(token_hash=digest).first()
    if link is None or not hmac.compare_digest(link.token_hash, digest) or link.revoked_at is not None:
        return None
    return link


def label_link_downloaded(link: LabelLink) -> None:
    from django.db.models import F

    LabelLink.objects.filter(pk=link.pk).update(downloads=F("downloads") + 1, last_downloaded_at=timezone.now())


def label_link_revoke(*, merchant, link: LabelLink, by: str) -> LabelLink:
    """Revoke a link for good: it answers 404 from now on, exactly like a wrong token. Revoking twice changes nothing."""
    with transaction.atomic():
        link = LabelLink.objects.select_for_update(of=("self",)).select_related("label__order").get(pk=link.pk, merchant=merchant)
        if link.revoked_at is None:
            link.revoked_at, link.revoked_by = timezone.now(), by[:200]
            link.save(update_fields=["revoked_at", "revoked_by"])
            comment_add(
                merchant=merchant, order=link.label.order, author=KOONGO, body=f"Label link revoked by {by}.", label_link=link
            )
    return link


# --- the store note ------------------------------------------------------------------------


def label_note_text(link: LabelLink) -> str:
    return f"Miinto shipping label: {label_url(link)}"


def _without_token(record_call, token: str):
    """An activity hook that files the call with the token blanked out: the Communications log never holds it."""

    def scrub(value):
        if isinstance(value, str):
            return value.replace(token, "[label token]")
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    def on_call(record):
        record_call(
            dataclasses.replace(
                record, url=scrub(record.url), request_body=scrub(record.request_body), response_body=scrub(record.response_body)
            )
        )

    return on_call


def label_note_push_execute(push: LabelNotePush) -> None:
    """Append the link to the store order's note (the adapter skips it when the note already holds it)."""
    link = LabelLink.objects.select_related("label__order").get(pk=push.link_id)
    order = link.label.order
    if link.revoked_at is not None:
        LabelNotePush.objects.filter(pk=push.pk).update(result={"added": False, "skipped": "the link was revoked"})
        return
    if not order.store_order_id:
        if StorePush.objects.filter(order=order, state=OutboxState.DEAD).exists():
            raise PermanentError("the store order was never created, so there is no note to put the label link in")
        # Recording the store order makes this row due (orders.pushes.PushedOrders): no need to poll for it.
        raise Waiting("the store order does not exist yet; the label link waits for it", woken=True)
    connection = push.connection
    store = connection.store_connection
    recorder = activity_on_call(
        merchant=connection.merchant, direction=Direction.TO_STORE, connection=connection, store_connection=store
    )
    with (
        clients.store_adapter(store, on_call=_without_token(recorder, link.token)) as adapter,
        recorder,
        recorder.about("order", order.pk, operation="label link in the order note"),
    ):
        added = adapter.update_order_note(StoreOrderRef(id=order.store_order_id, reference=None), label_note_text(link))
    LabelNotePush.objects.filter(pk=push.pk).update(result={"added": added})


def label_note_pushes_execute(connection: MiintoConnection) -> int:
    """Run this connection's due note rows now; returns how many were done."""
    due = LabelNotePush.objects.filter(
        connection=connection, state__in=[OutboxState.PENDING, OutboxState.FAILED], next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if outbox_execute(LabelNotePush._meta.label_lower, pk) == "done")


def describe_note_push(push: LabelNotePush) -> dict:
    order = push.link.label.order
    return {
        "connection": push.connection,
        "message": f"The label link of Miinto order {order.parent_order_id or order.miinto_id} could not be added to the store order's note: "
        f"{push.last_error}. The link is on the order's Comment tab.",
    }
