"""Archive, never cascade (issue 14, item 4): DELETE archives a connection (owners only), its orders, decisions, labels
and label links survive, lists hide it unless asked, it can be restored, and a store in use answers 409."""

import pytest
from django.db.models import RestrictedError
from rest_framework.test import APIClient

from connections.models import MiintoConnection, StoreConnection
from koongo.accounts.tenancy import merchant_scope
from orders.models import Decision, Label, LabelLink, Order, Position, Transfer
from tests.conftest import make_api_client
from tests.factories import MembershipFactory
from tests.orders.shipments.shipping import accepted_order, run


@pytest.fixture
def labelled(world):
    order = accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        return order, LabelLink.objects.get()


@pytest.fixture
def owner_api(world):
    api = APIClient()
    api.force_login(MembershipFactory(merchant=world.merchant, user__username="boss@a.example").user)
    return api


def history(merchant) -> dict:
    with merchant_scope(merchant):
        return {model.__name__: model.objects.count() for model in (Transfer, Position, Decision, Order, Label, LabelLink)}


def reload(connection):
    with merchant_scope(connection.merchant):
        return MiintoConnection.objects.get(pk=connection.pk)


def test_delete_archives_the_connection_and_keeps_every_business_record(world, labelled, owner_api, client):
    order, link = labelled
    before = history(world.merchant)
    assert before == {"Transfer": 1, "Position": 1, "Decision": 1, "Order": 1, "Label": 1, "LabelLink": 1}
    base = f"/api/v1/miinto-connections/{world.connection.pk}/"
    assert owner_api.delete(base).status_code == 204
    assert history(world.merchant) == before
    archived = reload(world.connection)
    assert (archived.status, archived.next_sync_at, archived.archived_at is not None) == ("disabled", None, True)
    assert client.get(f"/labels/{link.token}.pdf").status_code == 200  # links in store notes keep working
    assert [c["id"] for c in owner_api.get("/api/v1/miinto-connections/").json()["results"]] == []
    assert [c["id"] for c in owner_api.get("/api/v1/miinto-connections/?archived=true").json()["results"]] == [world.connection.pk]
    restored = owner_api.post(f"{base}restore/")
    assert (restored.status_code, restored.json()["archived_at"], restored.json()["status"]) == (200, None, "disabled")
    assert [c["id"] for c in owner_api.get("/api/v1/miinto-connections/").json()["results"]] == [world.connection.pk]


def test_only_an_owner_may_archive(world, labelled, other_merchant):
    before = history(world.merchant)
    foreign_owner = APIClient()
    foreign_owner.force_login(MembershipFactory(merchant=other_merchant, user__username="boss@b.example").user)
    assert foreign_owner.delete(f"/api/v1/miinto-connections/{world.connection.pk}/").status_code == 404
    assert make_api_client(other_merchant, "staff").delete(f"/api/v1/miinto-connections/{world.connection.pk}/").status_code == 404
    staff = make_api_client(world.merchant, "staff")
    answer = staff.delete(f"/api/v1/miinto-connections/{world.connection.pk}/")
    assert (answer.status_code, answer.json()) == (403, {"detail": "Only an owner of this merchant may do this.", "code": "permission_denied"})
    fresh = reload(world.connection)
    assert (fresh.status, fresh.archived_at) == ("active", None)
    assert history(world.merchant) == before


def test_an_archived_connection_cannot_be_activated(world, owner_api):
    owner_api.delete(f"/api/v1/miinto-connections/{world.connection.pk}/")
    answer = owner_api.post(f"/api/v1/miinto-connections/{world.connection.pk}/activate/")
    assert (answer.status_code, answer.json()["detail"]) == (409, "This connection is archived. Restore it before activating order sync.")


def test_a_store_connection_in_use_answers_409_not_500(world, owner_api):
    store = world.connection.store_connection
    answer = owner_api.delete(f"/api/v1/store-connections/{store.pk}/")
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": f"The store connection {store.name} is used by the Miinto connection(s) {world.connection}. "
        "Link them to another store or archive them first."
    }
    assert owner_api.delete(f"/api/v1/miinto-connections/{world.connection.pk}/").status_code == 204
    assert owner_api.delete(f"/api/v1/store-connections/{store.pk}/").status_code == 204
    with merchant_scope(world.merchant):
        assert StoreConnection.objects.get(pk=store.pk).archived_at is not None
    assert owner_api.get("/api/v1/store-connections/").json()["results"] == []


def test_the_database_never_cascades_a_connection_into_its_history(world, labelled):
    before = history(world.merchant)
    with merchant_scope(world.merchant), pytest.raises(RestrictedError):
        MiintoConnection.objects.get(pk=world.connection.pk).delete()
    assert history(world.merchant) == before


def test_the_dashboard_asks_before_archiving_and_only_owners_may(world, labelled, client):
    page = f"/connections/{world.connection.pk}/archive/"
    staff = MembershipFactory(merchant=world.merchant, user__username="staff@a.example", role="staff").user
    client.force_login(staff)
    assert client.get(page).status_code == 403
    assert client.post(page).status_code == 403
    assert reload(world.connection).archived_at is None
    client.force_login(MembershipFactory(merchant=world.merchant, user__username="boss@a.example").user)
    confirm = client.get(page)
    assert confirm.status_code == 200 and "label links already written into your store keep working" in confirm.content.decode()
    assert reload(world.connection).archived_at is None  # asking archives nothing
    assert client.post(page).status_code == 302
    assert reload(world.connection).archived_at is not None
    detail_link = f'href="/connections/{world.connection.pk}/"'
    assert detail_link not in client.get("/connections/").content.decode()
    assert detail_link in client.get("/connections/?archived=1").content.decode()
    assert client.post(f"/connections/{world.connection.pk}/restore/").status_code == 302
    assert reload(world.connection).archived_at is None
