"""The RMA dashboard: list, detail with accept and decline, the order's RMA and Refunds tabs, Needs attention, a store
refund's choices, manual requests, settings and the digest opt-out; viewers and other merchants change nothing."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from connections.models import Problem
from rma.models import RefundPush, Rma, RmaDecisionPush, RmaDigestOptOut, RmaRequestPush, RmaSettings, StoreRefund
from tests.factories import MembershipFactory
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_M


@pytest.fixture
def pending(rma_world):
    order = rma_world.sell((GTIN_TEE_M, 10000, 2), (GTIN_JEANS, 50000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1, "JEANS-32": 1}, reason="Too small")
    rma_world.sync_rmas()
    return order, Rma.objects.get()


@pytest.fixture
def viewer_client(client, merchant):
    client.force_login(MembershipFactory(merchant=merchant, role="viewer", user__username="viewer@a.example").user)
    return client


def test_the_list_filters_and_links_each_rma(rma_world, pending, owner_client):
    _, rma = pending
    page = owner_client.get("/rmas/?status=pending&origin=customer&age=7").content.decode()
    assert f'data-rma="{rma.miinto_id}"' in page and "DKK600.00" in page
    assert f'data-rma="{rma.miinto_id}"' not in owner_client.get("/rmas/?status=declined").content.decode()
    assert f'data-rma="{rma.miinto_id}"' not in owner_client.get("/rmas/?age=older").content.decode()


def test_the_list_costs_the_same_queries_for_one_rma_or_many(rma_world, pending, owner_client):
    owner_client.get("/rmas/")  # warm the per-process caches (nav, plans)
    with CaptureQueriesContext(db) as one:
        owner_client.get("/rmas/")
    more = rma_world.sell((GTIN_TEE_M, 10000, 5))
    for _ in range(5):
        rma_world.customer_return(more, {"TEE-BLK-M": 1})
    rma_world.sync_rmas()
    assert Rma.objects.count() == 6
    with CaptureQueriesContext(db) as two:
        owner_client.get("/rmas/")
    assert len(two) == len(one)


def test_accept_on_the_detail_page_refunds_in_the_store(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    order, rma = pending
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs after the commit
        response = owner_client.post(f"/rmas/{rma.pk}/accept/", {"reason": "Both items back"})
    assert response.status_code == 302
    rma.refresh_from_db()
    assert (rma.status, rma.decided_by, rma.actor) == ("accepted", "merchant", "user:owner@a.example")
    assert len(rma_world.store_refunds(order)) == 1
    page = owner_client.get(f"/rmas/{rma.pk}/").content.decode()
    assert "Both items back" in page and "Store refund: Done" in page and 'id="accept-form"' not in page


def test_a_decline_without_a_reason_shows_a_field_error_and_sends_nothing(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    _, rma = pending
    response = owner_client.post(f"/rmas/{rma.pk}/decline/", {"reason": ""})
    assert response.status_code == 400
    assert 'data-field="reason">A reason is required to accept or decline an RMA.' in response.content.decode()
    assert not RmaDecisionPush.objects.exists() and rma_world.effects("returnDecisions") == []
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs after the commit
        owner_client.post(f"/rmas/{rma.pk}/decline/", {"reason": "Worn"})
    rma.refresh_from_db()
    assert rma.status == "declined"
    tab = owner_client.get(f"/orders/{rma.order.transfer_id}/?tab=rma").content.decode()
    assert "Worn" in tab and "send the goods back to the buyer" in tab


def test_the_order_page_has_rma_and_refunds_tabs_with_their_communications(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    order, rma = pending
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs after the commit
        owner_client.post(f"/rmas/{rma.pk}/accept/", {"reason": "ok"})
    page = owner_client.get(f"/orders/{order.transfer_id}/").content.decode()
    assert "?tab=rma" in page and "?tab=refunds" in page
    rma_tab = owner_client.get(f"/orders/{order.transfer_id}/?tab=rma").content.decode()
    assert f'id="rma-{rma.miinto_id}"' in rma_tab and "decide_return accepted" in rma_tab
    refunds_tab = owner_client.get(f"/orders/{order.transfer_id}/?tab=refunds").content.decode()
    refund = StoreRefund.objects.get()
    assert f'data-refund="{refund.store_refund_id}"' in refunds_tab and "Pushed by us" in refunds_tab
    assert f"create_refund for RMA {rma.miinto_id}" in refunds_tab


def test_a_partial_match_is_resolved_on_the_store_refund_page(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    order, rma = pending
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    refund = StoreRefund.objects.get()
    attention = owner_client.get("/rmas/needs-attention/").content.decode()
    assert f'data-rma="{rma.miinto_id}"' in attention and "Store refund does not match an RMA" in attention
    page = owner_client.get(f"/refunds/{refund.pk}/").content.decode()
    assert 'id="pending-rmas"' in page and 'data-action="accept"' in page
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs after the commit
        owner_client.post(f"/refunds/{refund.pk}/accept/", {"rma": rma.pk})
    rma.refresh_from_db()
    refund.refresh_from_db()
    assert (rma.status, rma.decided_by, refund.status) == ("accepted", "store_refund", "accepted_rma")
    assert RefundPush.objects.count() == 0 and rma_world.effects("rmaRequests") == []
    assert Problem.objects.get(kind="rma_refund_mismatch").state == "handled"


def test_a_partial_match_can_become_a_request_or_be_ignored(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    order, rma = pending
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.refund_in_store(order, {"JEANS-32": 1})
    rma_world.sync_refunds()
    first, second = StoreRefund.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs after the commit
        owner_client.post(f"/refunds/{first.pk}/request/")
    owner_client.post(f"/refunds/{second.pk}/ignore/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("requested", "ignored")
    assert len(rma_world.effects("rmaRequests")) == 1
    assert sorted(Problem.objects.filter(kind="rma_refund_mismatch").values_list("state", flat=True)) == ["handled", "ignored"]
    again = owner_client.post(f"/refunds/{second.pk}/request/", follow=True).content.decode()
    assert "there is nothing to choose" in again and len(rma_world.effects("rmaRequests")) == 1


def test_the_back_office_item_has_a_done_button(rma_world, owner_client):
    order = rma_world.sell((GTIN_TEE_M, 10000, 1))
    rma_world.control("POST", "settings", {"rmaRequestsSupported": False})
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    refund = StoreRefund.objects.get()
    page = owner_client.get(f"/refunds/{refund.pk}/").content.decode()
    assert "Create this RMA in the Miinto back office" in page and 'data-action="done"' in page
    owner_client.post(f"/refunds/{refund.pk}/done/")
    refund.refresh_from_db()
    assert (refund.status, refund.resolved_by) == ("done", "user:owner@a.example")
    assert Problem.objects.get(kind="rma_back_office").state == "handled"


def test_a_manual_rma_request_from_the_order_tab(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    order, _ = pending
    jeans = order.lines.get(sku="JEANS-32").miinto_position_id
    tee = order.lines.get(sku="TEE-BLK-M").miinto_position_id
    form = owner_client.get(f"/orders/{order.transfer_id}/?tab=rma").content.decode()
    assert f'name="qty_{tee}"' in form
    with django_capture_on_commit_callbacks(execute=True):  # the queued push runs after the commit
        owner_client.post(f"/orders/{order.pk}/rma-request/", {f"qty_{tee}": "1", f"qty_{jeans}": "0", "reason": "Came back by post"})
    [request] = rma_world.effects("rmaRequests")
    assert [(p["orderPositionId"], p["quantity"]) for p in request["positions"]] == [(tee, 1)]
    assert RmaRequestPush.objects.get().actor == "user:owner@a.example"


def test_settings_restock_and_the_digest_opt_out(rma_world, owner_client, owner):
    url = f"/rmas/settings/{rma_world.connection.pk}/"
    assert 'name="restock_refunds"' in owner_client.get(url).content.decode()
    owner_client.post(url, {})
    assert RmaSettings.objects.get(connection=rma_world.connection).restock_refunds is False
    owner_client.post("/rmas/e-mails/", {"digest": "off"})
    assert list(RmaDigestOptOut.objects.values_list("user_id", flat=True)) == [owner.pk]
    owner_client.post("/rmas/e-mails/", {"digest": "on"})
    assert not RmaDigestOptOut.objects.exists()


def test_viewers_read_but_change_nothing(rma_world, pending, viewer_client):
    order, rma = pending
    assert viewer_client.get(f"/rmas/{rma.pk}/").status_code == 200
    assert 'id="accept-form"' not in viewer_client.get(f"/rmas/{rma.pk}/").content.decode()
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    refund = StoreRefund.objects.get()
    posts = [
        (f"/rmas/{rma.pk}/accept/", {"reason": "x"}), (f"/rmas/{rma.pk}/decline/", {"reason": "x"}), (f"/rmas/{rma.pk}/refund-done/", {}),
        (f"/refunds/{refund.pk}/accept/", {"rma": rma.pk}), (f"/refunds/{refund.pk}/ignore/", {}),
        (f"/orders/{order.pk}/rma-request/", {"reason": "x"}), (f"/rmas/settings/{rma_world.connection.pk}/", {}),
    ]
    for url, data in posts:
        assert viewer_client.post(url, data).status_code == 403, url
    rma.refresh_from_db()
    refund.refresh_from_db()
    assert (rma.status, refund.status) == ("pending", "needs_attention")
    assert not RmaDecisionPush.objects.exists() and not RmaSettings.objects.filter(restock_refunds=False).exists()
    # Turning off one's own e-mails is not a change to the merchant's data: a viewer may.
    assert viewer_client.post("/rmas/e-mails/", {"digest": "off"}).status_code == 302
    assert RmaDigestOptOut.objects.count() == 1


def test_another_merchants_pages_answer_404_and_nothing_changes(rma_world, pending, other_merchant, client):
    order, rma = pending
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    refund = StoreRefund.objects.get()
    client.force_login(MembershipFactory(merchant=other_merchant, user__username="owner@b.example").user)
    gets = [f"/rmas/{rma.pk}/", f"/refunds/{refund.pk}/", f"/rmas/settings/{rma_world.connection.pk}/"]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (f"/rmas/{rma.pk}/accept/", {"reason": "x"}), (f"/rmas/{rma.pk}/refund-done/", {}), (f"/refunds/{refund.pk}/ignore/", {}),
        (f"/refunds/{refund.pk}/accept/", {"rma": rma.pk}), (f"/orders/{order.pk}/rma-request/", {"reason": "x"}),
        (f"/rmas/settings/{rma_world.connection.pk}/", {}), ("/rma-requests/999999/done/", {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert f'data-rma="{rma.miinto_id}"' not in client.get("/rmas/").content.decode()
    rma.refresh_from_db()
    refund.refresh_from_db()
    assert (rma.status, refund.status) == ("pending", "needs_attention") and not RmaDecisionPush.objects.exists()


def test_a_decision_answers_at_once_and_the_page_follows_its_push(rma_world, pending, owner_client, django_capture_on_commit_callbacks):
    from rma.outbox import rma_rows_execute

    order, rma = pending
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = owner_client.post(f"/rmas/{rma.pk}/accept/", {"reason": "Both items back"})
    assert response.status_code == 302 and len(queued) >= 1
    # Nothing reached Miinto or the store inside the request.
    assert rma_world.effects("returnDecisions") == [] and rma_world.store_refunds(order) == []
    page = owner_client.get(f"/rmas/{rma.pk}/").content.decode()
    assert 'data-deciding="1"' in page and f'hx-get="/rmas/{rma.pk}/" hx-select="#rma-decision-state"' in page
    assert "is on its way to Miinto (pending)" in page
    rma_rows_execute(rma_world.connection)  # the queued task, as a worker runs it
    page = owner_client.get(f"/rmas/{rma.pk}/").content.decode()
    assert 'data-deciding="0"' in page and 'hx-select="#rma-decision-state"' not in page
    assert "Store refund: Done" in page
    assert len(rma_world.effects("returnDecisions")) == 1 and len(rma_world.store_refunds(order)) == 1
