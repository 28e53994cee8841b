"""The rma flow's import: pending returns in full, decided ones back to the watermark, malformed ones quarantined, bulk
upserts with a constant number of queries per page, and the merchant's e-mail digest of new pending RMAs."""

from datetime import timedelta

from django.core import mail
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import Problem
from rma.models import Rma, RmaLine, RmaSettings
from rma.notifications import rma_digest_send
from tests.factories import MembershipFactory
from tests.i18n.wording import in_language
from tests.rma.conftest import GTIN_TEE_M


def test_new_pending_rmas_are_imported_once_with_their_lines(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 3))
    first = rma_world.customer_return(order, {"TEE-BLK-M": 2}, reason="Too big")
    run = rma_world.sync_rmas()
    assert (run.status, run.seen, run.skipped, run.failed) == ("succeeded", 1, 0, 0)
    rma_world.sync_rmas()
    rma = Rma.objects.get()
    assert (rma.miinto_id, rma.order_id, rma.origin, rma.status, rma.amount, rma.currency) == (first, order.pk, "customer", "pending", 200, "DKK")
    [line] = RmaLine.objects.all()
    assert (line.order_line.sku, line.quantity, line.unit_price, line.amount) == ("TEE-BLK-M", 2, 100, 200)
    assert RmaSettings.objects.get().returns_watermark >= run.started_at


def test_a_malformed_return_is_quarantined_and_the_rest_imported(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 2))
    good = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    bad = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.miinto.state.returns[bad].origin = "robot"  # not a value the contract allows
    run = rma_world.sync_rmas()
    assert (run.status, run.seen, run.failed) == ("partial", 1, 1)
    assert list(Rma.objects.values_list("miinto_id", flat=True)) == [good]
    problem = Problem.objects.get(kind="malformed_payload")
    assert problem.subject_type == "return" and problem.subject_id == str(bad) and problem.excerpt["origin"] == "robot"


def test_returns_decided_before_the_connection_existed_are_not_imported_as_new_work(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    old = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(old, "accepted", "long ago")
    rma_world.miinto.state.returns[old].created_at = (rma_world.connection.created_at - timedelta(days=2)).timestamp()
    run = rma_world.sync_rmas()
    assert (run.seen, run.skipped) == (0, 1)
    assert Rma.objects.count() == 0 and rma_world.store_refunds(order) == []


def test_the_decided_listing_stops_at_the_watermark(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.sync_rmas()
    RmaSettings.objects.update(returns_watermark=timezone.now() + timedelta(hours=2))
    return_id = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    rma_world.decide_in_miinto(return_id, "declined", "no")
    run = rma_world.sync_rmas()
    assert (run.seen, run.skipped) == (0, 1) and Rma.objects.count() == 0


def test_queries_per_page_do_not_grow_with_the_page(rma_world):
    orders = [rma_world.sell((GTIN_TEE_M, 10000, 1)) for _ in range(2)]
    more = rma_world.sell((GTIN_TEE_M, 10000, 6))
    rma_world.customer_return(orders[0], {"TEE-BLK-M": 1})
    with CaptureQueriesContext(db) as one:
        rma_world.sync_rmas()
    rma_world.customer_return(orders[1], {"TEE-BLK-M": 1})
    for _ in range(6):
        rma_world.customer_return(more, {"TEE-BLK-M": 1})
    with CaptureQueriesContext(db) as seven:
        rma_world.sync_rmas()
    assert Rma.objects.count() == 8
    # The second run reads 8 pending returns (7 new); a query per return would add at least 7. It also logs in once less.
    assert len(seven) <= len(one), (len(one), len(seven))


def test_the_digest_announces_new_pending_rmas_once_an_hour_and_honours_the_opt_out(rma_world, owner, django_capture_on_commit_callbacks):
    from rma.configuration import digest_opt_out_set

    staff = MembershipFactory(merchant=rma_world.merchant, role="staff", user__username="staff@a.example").user
    digest_opt_out_set(merchant=rma_world.merchant, user=staff, opted_out=True)
    order = rma_world.sell((GTIN_TEE_M, 10000, 3))
    first = rma_world.customer_return(order, {"TEE-BLK-M": 1}, reason="Too small")
    with django_capture_on_commit_callbacks(execute=True):
        rma_world.sync_rmas()
    [message] = mail.outbox
    assert message.to == ["owner@a.example"]
    assert message.subject == f"1 new Miinto return to decide on {rma_world.connection}"  # ngettext: singular for one
    assert f"RMA {first} on Miinto order {order.number}: DKK100.00, reason: Too small" in message.body
    second = rma_world.customer_return(order, {"TEE-BLK-M": 1})
    with django_capture_on_commit_callbacks(execute=True):
        rma_world.sync_rmas()
    assert len(mail.outbox) == 1  # within the hour: the next digest waits
    RmaSettings.objects.update(last_digest_at=timezone.now() - timedelta(hours=1, seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert rma_digest_send(rma_world.connection) == 1
    assert len(mail.outbox) == 2 and f"RMA {second} " in mail.outbox[1].body and f"RMA {first} " not in mail.outbox[1].body
    RmaSettings.objects.update(last_digest_at=None)
    assert rma_digest_send(rma_world.connection) == 0  # nothing new


def test_the_digest_reaches_each_user_in_their_language_with_amounts_in_its_format(rma_world, danish_owner, django_capture_on_commit_callbacks):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    with django_capture_on_commit_callbacks(execute=True):
        rma_world.sync_rmas()
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert set(bodies) == {danish_owner.email, "co@a.example"}
    english = "Accept or decline them, with a reason, on the RMA page of your dashboard."
    assert in_language("da", english) != english
    assert in_language("da", english) in bodies[danish_owner.email] and "100,00" in bodies[danish_owner.email]
    assert english in bodies["co@a.example"] and "DKK100.00" in bodies["co@a.example"]


def test_the_digest_goes_to_each_user_separately(rma_world, owner, django_capture_on_commit_callbacks):
    MembershipFactory(merchant=rma_world.merchant, role="staff", user__username="staff@a.example")
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1})
    with django_capture_on_commit_callbacks(execute=True):
        rma_world.sync_rmas()
    assert sorted(message.to for message in mail.outbox) == [["owner@a.example"], ["staff@a.example"]]
    assert len({message.body for message in mail.outbox}) == 1
