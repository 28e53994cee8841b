"""Orders in the API and the dashboard: manual decisions, filters, isolation, viewers and Idempotency-Key."""

import pytest

from orders.models import Decision, DecisionPush, Order, Position, Transfer
from tests.conftest import make_api_client
from tests.orders.conftest import GTIN_TEE_M


def _pending(world, count=1):
    for _ in range(count):
        world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    return list(Position.objects.order_by("pk"))


def test_accept_a_position_in_the_api(world, django_capture_on_commit_callbacks):
    [position] = _pending(world)
    api = make_api_client(world.merchant, "staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/positions/{position.pk}/accept/", {"reason": "looks good"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["decision"]["outcome"] == "accept" and response.json()["decision"]["decided_by"] == "merchant"
    assert response.json()["decision"]["actor"].startswith("api-key:")
    # The answer came before the push ran (queued on commit), so it says "not yet sent"; the push then told Miinto.
    assert response.json()["decision"]["sent_at"] is None
    assert Decision.objects.get().sent_at is not None
    again = api.post(f"/api/v1/positions/{position.pk}/decline/", {}, format="json")
    assert again.status_code == 400 and "already accepted" in again.json()["status"][0]
    order = api.get("/api/v1/orders/").json()["results"][0]
    assert order["lines"][0]["decision"]["outcome"] == "accept" and order["status"] == "in_store"


def test_decide_a_whole_transfer_in_one_call(world, django_capture_on_commit_callbacks):
    world.offer((GTIN_TEE_M, 10000, 1), (GTIN_TEE_M, 9000, 1))
    world.sync()
    transfer = Transfer.objects.get()
    first, second = Position.objects.order_by("pk")
    api = make_api_client(world.merchant, "staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/transfers/{transfer.pk}/decide/", {"accept": [first.miinto_id], "decline": [second.miinto_id]}, format="json")
    assert response.status_code == 200, response.json()
    assert sorted(p["status"] for p in response.json()["positions"]) == ["accepted", "declined"]
    [sent] = world.decisions_on_miinto()
    assert (sent["accepted"], sent["declined"]) == ([first.miinto_id], [second.miinto_id])
    bad = api.post(f"/api/v1/transfers/{transfer.pk}/decide/", {"accept": [], "decline": []}, format="json")
    assert bad.status_code == 400 and "accept" in bad.json()


def test_idempotency_key_on_decisions(world):
    [position] = _pending(world)
    api = make_api_client(world.merchant, "staff")
    first = api.post(f"/api/v1/positions/{position.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(f"/api/v1/positions/{position.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    assert Decision.objects.count() == 1


def test_viewer_cannot_decide(world):
    [position] = _pending(world)
    viewer = make_api_client(world.merchant, "viewer")
    assert viewer.post(f"/api/v1/positions/{position.pk}/accept/", {}, format="json").status_code == 403
    assert viewer.get("/api/v1/transfers/").status_code == 200
    assert Decision.objects.count() == 0


def test_another_merchants_orders_transfers_and_positions_answer_404(world, other_merchant):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    world.configure(auto_accept=False)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    intruder = make_api_client(other_merchant, "staff")
    order, transfer, position = Order.objects.first(), Transfer.objects.first(), Position.objects.first()
    for url in ("/api/v1/orders/", "/api/v1/transfers/", "/api/v1/positions/"):
        assert intruder.get(url).json()["results"] == []
    assert intruder.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert intruder.get(f"/api/v1/transfers/{transfer.pk}/").status_code == 404
    assert intruder.post(f"/api/v1/transfers/{transfer.pk}/decide/", {"accept": [position.miinto_id]}, format="json").status_code == 404
    pending = Position.objects.filter(status="pending").first()
    assert intruder.post(f"/api/v1/positions/{pending.pk}/accept/", {}, format="json").status_code == 404
    assert Position.objects.get(pk=pending.pk).status == "pending"


def test_order_pages_for_another_merchant_answer_404(world, other_merchant, client):
    from tests.factories import MembershipFactory

    [position] = _pending(world)
    client.force_login(MembershipFactory(merchant=other_merchant).user)
    assert client.get(f"/orders/{position.transfer_id}/").status_code == 404
    assert client.post(f"/positions/{position.pk}/accept/").status_code == 404
    assert Position.objects.get(pk=position.pk).status == "pending"


def test_dashboard_accept_and_filters(world, client, owner, django_capture_on_commit_callbacks):
    [position] = _pending(world)
    client.force_login(owner)
    page = client.get("/orders/?status=pending")
    assert str(position.transfer.miinto_id) in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/positions/{position.pk}/accept/")
    assert response.status_code == 302
    detail = client.get(f"/orders/{position.transfer_id}/").content.decode()
    assert 'by Merchant (dashboard or API) (<span translate="no">user:owner@a.example</span>)' in detail
    assert client.get("/orders/?status=pending").context["transfers"] == []
    communications = client.get(f"/orders/{position.transfer_id}/?tab=communications").content.decode()
    assert "PATCH" in communications


def test_overview_chart_and_needs_attention(world, client, owner):
    import json

    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_TEE_M, 1000, 1))
    world.sync()
    world.configure(auto_accept=False)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    client.force_login(owner)
    page = client.get("/")
    body = page.content.decode()
    per_day = json.loads(body.split('id="orders-per-day" type="application/json">')[1].split("</script>")[0])
    assert [n for _, n in per_day] == [1]
    assert "<td>Declined</td><td>Price below the threshold</td>" in body and "1 position(s) need attention" in body
    attention = client.get("/orders/needs-attention/")
    assert [p.status for p in attention.context["positions"]] == ["pending"]


def test_admin_resync_refreshes_the_order_from_miinto(world, client, django_user_model):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(customer_name="stale", billing_address={})
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-admin-1")
    client.force_login(admin)
    response = client.post("/admin/orders/order/", {"action": "resync_order", "_selected_action": [order.pk]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.customer_name not in ("stale", "") and order.billing_address["city"]
    assert order.lines.count() == 1


@pytest.mark.parametrize("via", ["dashboard", "api_position", "api_transfer"])
def test_a_decision_answers_at_once_and_only_queues_its_push(world, client, owner, via, django_capture_on_commit_callbacks):
    [position] = _pending(world)
    patches_before = len(world.decisions_on_miinto())
    client.force_login(owner)
    api = make_api_client(world.merchant, "staff")
    requests = {
        "dashboard": lambda: client.post(f"/positions/{position.pk}/accept/"),
        "api_position": lambda: api.post(f"/api/v1/positions/{position.pk}/accept/", {}, format="json"),
        "api_transfer": lambda: api.post(f"/api/v1/transfers/{position.transfer_id}/decide/", {"accept": [position.miinto_id], "decline": []}, format="json"),
    }
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = requests[via]()
    assert response.status_code in (200, 302)
    # Nothing reached Miinto or the store inside the request: the push waits for a worker.
    assert len(world.decisions_on_miinto()) == patches_before == 0
    assert world.store_orders() == []
    push = DecisionPush.objects.get()
    assert (push.state, push.attempts) == ("pending", 0)
    assert len(queued) >= 1
    world.run_due_pushes()
    assert len(world.decisions_on_miinto()) == 1 and len(world.store_orders()) == 1


def test_the_order_page_shows_the_push_state_live_until_it_is_done(world, client, owner):
    [position] = _pending(world)
    client.force_login(owner)
    client.post(f"/positions/{position.pk}/accept/")  # its push is queued, not run
    detail = client.get(f"/orders/{position.transfer_id}/").content.decode()
    assert 'data-moving="1"' in detail and f'hx-get="/orders/{position.transfer_id}/pushes/"' in detail
    assert "Tell Miinto the decisions: <strong>Pending</strong>" in detail
    world.run_due_pushes()
    panel = client.get(f"/orders/{position.transfer_id}/pushes/").content.decode()
    assert 'data-moving="0"' in panel and "hx-get" not in panel
    assert "Tell Miinto the decisions: <strong>Done</strong>" in panel
    assert "Create the store order: <strong>Done</strong>" in panel


def test_another_merchants_push_panel_answers_404(world, other_merchant, client):
    from tests.factories import MembershipFactory

    [position] = _pending(world)
    client.force_login(MembershipFactory(merchant=other_merchant, user__username="b@b.example").user)
    assert client.get(f"/orders/{position.transfer_id}/pushes/").status_code == 404
