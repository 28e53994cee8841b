"""Labels: fetched after acceptance with bounded, backed-off attempts, stored, and linked by a capability URL."""

import base64
import hashlib
from datetime import timedelta

from django.db import connection as db
from django.utils import timezone

from connections.models import ActivityEntry, OutboxState, Problem, ProblemState
from connections.sync.outbox import WAIT_POLL_MAX_SECONDS
from connections.sync.problems import problem_retry
from koongo.accounts.tenancy import merchant_scope
from orders.models import Label, LabelFetch, LabelLink, LabelNotePush, OrderComment
from orders.shipments import labels
from tests.orders.shipments.shipping import accepted_order, make_due, run


def _labels_later(world):
    """Miinto makes labels an hour after acceptance, as the simulator's label delay allows."""
    world.miinto.label_delay = world.miinto.state.label_delay = 3600


def _link(world) -> LabelLink:
    with merchant_scope(world.merchant):
        return LabelLink.objects.select_related("label__order").get()


def test_a_label_appears_after_acceptance_and_is_fetched(world):
    _labels_later(world)
    order = accepted_order(world)
    first = run(world, "labels")
    with merchant_scope(world.merchant):
        fetch = LabelFetch.objects.get(order=order)
        assert (fetch.state, fetch.attempts, fetch.last_error) == ("waiting", 1, "Miinto has no label for this order yet.")
        assert Label.objects.count() == 0
    assert (first.seen, first.skipped) == (1, 1)
    world.miinto.state.make_labels_ready([order.miinto_id])
    make_due(LabelFetch)
    second = run(world, "labels")
    assert (second.seen, second.pushed, second.skipped) == (1, 2, 0)  # the label, and its link in the store note
    with merchant_scope(world.merchant):
        fetch.refresh_from_db()
        label = Label.objects.get(order=order)
        stored = label.file.read()
    assert fetch.state == "fetched" and fetch.fetched_at is not None
    assert stored.startswith(b"%PDF-") and f"Merchant order {order.miinto_id}".encode() in stored
    assert (label.size, label.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert label.file.name.startswith(f"labels/{world.merchant.pk}/") and label.file.name.endswith(".pdf")


def test_the_link_goes_to_the_comment_tab_and_the_store_note(world):
    order = accepted_order(world)
    run(world, "labels")
    link = _link(world)
    url = labels.label_url(link)
    assert url == f"http://127.0.0.1:8000/labels/{link.token}.pdf"
    with merchant_scope(world.merchant):
        [comment] = OrderComment.objects.filter(order=order)
        push = LabelNotePush.objects.get()
    assert (comment.author, comment.body, comment.label_link_id) == ("Koongo", "Miinto shipping label", link.pk)
    assert push.state == OutboxState.DONE and push.result == {"added": True}
    [store_order] = world.store_orders()
    assert store_order["note"].endswith(f"\nMiinto shipping label: {url}")


def test_the_note_is_added_once_even_when_the_push_runs_again(world):
    accepted_order(world)
    run(world, "labels")
    link = _link(world)
    with merchant_scope(world.merchant):
        push = LabelNotePush.objects.get()
        labels.label_note_push_execute(push)
    [store_order] = world.store_orders()
    assert store_order["note"].count(labels.label_url(link)) == 1


def test_a_stock_only_order_gets_the_comment_but_no_store_note(world):
    world.configure(sync_level="stock_only")
    order = accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        assert OrderComment.objects.filter(order=order, label_link__isnull=False).count() == 1
        assert LabelNotePush.objects.count() == 0


def test_the_note_waits_for_the_store_order(world):
    order = accepted_order(world)
    with merchant_scope(world.merchant):
        type(order).objects.filter(pk=order.pk).update(store_order_id="")
    run(world, "labels")
    with merchant_scope(world.merchant):
        push = LabelNotePush.objects.get()
    assert (
        push.state == OutboxState.FAILED
        and push.last_error == "the store order does not exist yet; the label link waits for it"
        and push.attempts == 0
    )
    # Nothing to poll for: recording the store order makes it due (the poll is only a safety net).
    assert push.next_attempt_at > timezone.now() + timedelta(seconds=WAIT_POLL_MAX_SECONDS - 60)
    # The store order is made (as a store batch records it): the waiting note need not wait out its backoff.
    from orders.models import StorePush
    from orders.pushes import PushedOrders

    with merchant_scope(world.merchant):
        made = PushedOrders()
        made.add(StorePush.objects.get(order=order), order, [], {"store_order_id": "gid://shopify/Order/1", "name": "#1001"})
        made.write()
        assert LabelNotePush.objects.get().next_attempt_at <= timezone.now()


def test_attempts_back_off_and_end_in_a_problem(world, settings):
    settings.LABEL_FETCH_MAX_ATTEMPTS = 3
    _labels_later(world)
    order = accepted_order(world)
    before = timezone.now()
    run(world, "labels")
    with merchant_scope(world.merchant):
        fetch = LabelFetch.objects.get()
    # Equal jitter around the first 5-minute step: between 2.5 and 5 minutes away.
    assert before + timedelta(minutes=2.5) <= fetch.next_attempt_at <= timezone.now() + timedelta(minutes=5)
    assert run(world, "labels").seen == 0  # not due yet: Miinto is not asked again
    for _ in range(2):
        make_due(LabelFetch)
        run(world, "labels")
    with merchant_scope(world.merchant):
        fetch.refresh_from_db()
        problem = Problem.objects.get()
    assert (fetch.state, fetch.attempts) == ("given_up", 3)
    assert problem.kind == "label_unavailable" and problem.state == ProblemState.OPEN
    assert problem.message.startswith(f"Miinto had no shipping label for order {order.parent_order_id} after 3 attempts since ")
    make_due(LabelFetch)
    assert run(world, "labels").seen == 0  # given up: no more calls
    world.miinto.state.make_labels_ready()
    with merchant_scope(world.merchant):
        problem_retry(merchant=world.merchant, problem=problem, by="owner")
    run(world, "labels")
    with merchant_scope(world.merchant):
        fetch.refresh_from_db()
        assert fetch.state == "fetched" and Label.objects.count() == 1


def test_backoff_doubles_up_to_its_ceiling():
    assert labels.backoff(1, rand=lambda: 1.0) == timedelta(minutes=5)
    assert labels.backoff(2, rand=lambda: 1.0) == timedelta(minutes=10)
    assert labels.backoff(4, rand=lambda: 0.0) == timedelta(minutes=20)
    assert labels.backoff(30, rand=lambda: 1.0) == timedelta(hours=4)


def test_the_token_has_256_bits_and_is_never_stored_in_plaintext(world):
    accepted_order(world)
    run(world, "labels")
    link = _link(world)
    token = link.token
    assert len(base64.urlsafe_b64decode(token + "=")) * 8 == 256
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with db.cursor() as cursor:
        cursor.execute("SELECT token, token_hash FROM orders_labellink")
        [(stored_token, stored_hash)] = cursor.fetchall()
    assert token not in stored_token and stored_hash == link.token_hash
    # Nothing we keep holds it: not the comment, the note push, nor the Communications log of the note call.
    with merchant_scope(world.merchant):
        rows = [
            *OrderComment.objects.values_list("body", flat=True),
            *map(str, LabelNotePush.objects.values_list("result", flat=True)),
        ]
        rows += [f"{e.url} {e.payload}" for e in ActivityEntry.objects.all()]
        assert ActivityEntry.objects.filter(operation="label link in the order note").exists()
    assert not [row for row in rows if token in row]


def test_every_recent_order_is_planned_once(world):
    from orders.models import Order

    old = accepted_order(world)
    accepted_order(world)
    accepted_order(world)
    with merchant_scope(world.merchant):
        # Saving an order plans its fetch at once; the planner is the safety net for orders that have none.
        assert LabelFetch.objects.count() == 3
        LabelFetch.objects.all().delete()
        Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
        assert labels.label_fetches_plan(world.connection) == 2
        assert labels.label_fetches_plan(world.connection) == 0
        assert not LabelFetch.objects.filter(order=old).exists()


def test_label_calls_show_on_the_orders_communications(world):
    order = accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        entry = ActivityEntry.objects.get(operation="label")
    assert (entry.subject_type, entry.subject_id, entry.http_status) == ("order", str(order.pk), 200)
