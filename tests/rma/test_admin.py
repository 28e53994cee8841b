"""Admin: every RMA model across merchants, with the actions re-push refund and re-import RMA."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from rma.models import RefundPush, Rma
from tests.factories import UserFactory
from tests.rma.conftest import GTIN_TEE_M


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin@koongo.example", is_staff=True, is_superuser=True))
    return client


def _accepted_in_miinto(world):
    order = world.sell((GTIN_TEE_M, 10000, 1))
    return_id = world.customer_return(order, {"TEE-BLK-M": 1})
    world.sync_rmas()
    world.decide_in_miinto(return_id, "accepted", "ok")
    return order


def test_every_rma_model_has_an_admin_page(rma_world, admin_client):
    _accepted_in_miinto(rma_world)
    rma_world.sync_rmas()
    for name in ("rma", "storerefund", "refundpush", "rmadecisionpush", "rmarequestpush", "rmasettings", "rmadigestoptout"):
        assert admin_client.get(reverse(f"admin:rma_{name}_changelist")).status_code == 200, name
    with scopes_disabled():
        rma = Rma.objects.get()
    page = admin_client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert str(rma.miinto_id) in page and str(rma.miinto_order_id) in page


def test_reimport_records_a_decision_made_in_miinto(rma_world, admin_client):
    _accepted_in_miinto(rma_world)
    with scopes_disabled():
        rma = Rma.objects.get()
        assert rma.status == "pending"
    admin_client.post(reverse("admin:rma_rma_changelist"), {"action": "reimport", "_selected_action": [rma.pk]})
    with scopes_disabled():
        rma.refresh_from_db()
        assert (rma.status, rma.decided_by) == ("accepted", "miinto")
        assert RefundPush.objects.count() == 1


def test_repush_refund_retries_a_dead_push_and_leaves_a_done_one_alone(rma_world, admin_client):
    order = _accepted_in_miinto(rma_world)
    rma_world.store.faults = type(rma_world.store.faults)(fail_next=100, fail_status=422)
    rma_world.sync_rmas()
    with scopes_disabled():
        push = RefundPush.objects.get()
        assert push.state == "dead"
        rma = push.rma
    rma_world.store.faults = type(rma_world.store.faults)()
    response = admin_client.post(reverse("admin:rma_rma_changelist"), {"action": "repush_refund", "_selected_action": [rma.pk]}, follow=True)
    assert "Queued 1 refund push(es)" in response.content.decode()
    rma_world.sync_rmas()  # the worker runs the queued row
    with scopes_disabled():
        push.refresh_from_db()
        assert push.state == "done"
    assert len(rma_world.store_refunds(order)) == 1
    response = admin_client.post(reverse("admin:rma_rma_changelist"), {"action": "repush_refund", "_selected_action": [rma.pk]}, follow=True)
    assert "Queued 0 refund push(es)" in response.content.decode()
    assert len(rma_world.store_refunds(order)) == 1
