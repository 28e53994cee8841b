"""Settings → Webhooks: owners register and manage endpoints, members only read, other merchants' ids answer 404."""

import re

from django_scopes import scopes_disabled

from koongo.accounts.models import Role
from tests.factories import MembershipFactory
from webhooks import services
from webhooks.event_types import ORDER_PUSHED, PROBLEM_OPENED
from webhooks.events import emit
from webhooks.models import WebhookEndpoint


def test_an_owner_adds_an_endpoint_and_sees_the_secret_once(owner_client, receiver):
    response = owner_client.post("/settings/webhooks/", {"url": receiver.url, "event_types": [ORDER_PUSHED, PROBLEM_OPENED]})
    page = response.content.decode()
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', page).group(1)
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret and endpoint.event_types == [ORDER_PUSHED, PROBLEM_OPENED]
    assert secret not in owner_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert secret not in owner_client.get("/settings/webhooks/").content.decode()


def test_field_errors_are_shown_next_to_the_field(owner_client, settings):
    settings.ALLOW_PRIVATE_STORE_URLS = False
    page = owner_client.post("/settings/webhooks/", {"url": "https://10.0.0.8/hooks", "event_types": [ORDER_PUSHED]}).content.decode()
    assert 'data-field="url"' in page and "non-public address" in page
    page = owner_client.post("/settings/webhooks/", {"url": "https://example.com/hooks"}).content.decode()
    assert 'data-field="event_types"' in page and "Choose at least one event type." in page
    with scopes_disabled():
        assert not WebhookEndpoint.objects.exists()


def test_staff_and_viewers_read_the_log_but_cannot_manage(client, merchant, receiver):
    with scopes_disabled():
        endpoint, _ = services.endpoint_create(merchant=merchant, url=receiver.url, event_types=[ORDER_PUSHED])
        emit(merchant.pk, ORDER_PUSHED, {"order_id": 1})
    for role in (Role.STAFF, Role.VIEWER):
        client.force_login(MembershipFactory(merchant=merchant, role=role).user)
        detail = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
        assert "order.pushed" in detail and "Send test event" not in detail and "Resend" not in detail
        assert client.post(f"/settings/webhooks/{endpoint.pk}/pause/").status_code == 403
        client.post("/settings/webhooks/", {"url": receiver.url, "event_types": [ORDER_PUSHED]})
        with scopes_disabled():
            assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().paused_at is None


def test_another_merchants_endpoint_answers_404(owner_client, other_merchant, receiver):
    with scopes_disabled():
        endpoint, _ = services.endpoint_create(merchant=other_merchant, url=receiver.url, event_types=[ORDER_PUSHED])
        delivery = emit(other_merchant.pk, ORDER_PUSHED, {"order_id": 1})[0]
    assert owner_client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404
    for action in ("pause", "resume", "test", "rotate", "delete"):
        assert owner_client.post(f"/settings/webhooks/{endpoint.pk}/{action}/").status_code == 404
    assert owner_client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend/").status_code == 404
    with scopes_disabled():
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=True).exists()


def test_the_delivery_log_page_runs_constant_queries(owner_client, merchant, receiver, django_assert_max_num_queries):
    with scopes_disabled():
        endpoint, _ = services.endpoint_create(merchant=merchant, url=receiver.url, event_types=[ORDER_PUSHED])
        for n in range(30):
            emit(merchant.pk, ORDER_PUSHED, {"n": n}, object_key=f"order:{n}")
    with django_assert_max_num_queries(20):
        page = owner_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert page.count('data-event-type="order.pushed"') == 30


def test_admin_shows_the_log_without_secrets_and_resends(admin_client, merchant, receiver, django_capture_on_commit_callbacks):
    with scopes_disabled():
        endpoint, secret = services.endpoint_create(merchant=merchant, url=receiver.url, event_types=[ORDER_PUSHED])
        delivery = emit(merchant.pk, ORDER_PUSHED, {"order_id": 1})[0]
    page = admin_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert receiver.url in page and secret not in page and secret.removeprefix("whsec_") not in page
    assert admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/webhooks/webhookdelivery/", {"action": "resend", "_selected_action": [delivery.pk]})
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.event_id]
