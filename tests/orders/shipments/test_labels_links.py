"""Label links: served without login with exactly the promised headers, 404 for wrong and revoked tokens, and the Comment tab."""

import re
import secrets

import pytest

from koongo.accounts.tenancy import merchant_scope
from orders.models import LabelLink, OrderComment
from orders.shipments import labels
from tests.conftest import make_api_client
from tests.factories import MembershipFactory
from tests.orders.shipments.shipping import accepted_order, run


@pytest.fixture
def labelled(world):
    """An accepted order whose Miinto label has been fetched; returns (order, link)."""
    order = accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        return order, LabelLink.objects.select_related("label").get()


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"", content)


def _path(link) -> str:
    return f"/labels/{link.token}.pdf"


def test_the_link_works_without_login(client, labelled):
    order, link = labelled
    response = client.get(_path(link))
    assert response.status_code == 200
    with merchant_scope(order.merchant):
        assert response.content == link.label.file.open("rb").read()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="miinto-label-{order.parent_order_id}.pdf"'
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    with merchant_scope(order.merchant):
        link.refresh_from_db()
    assert link.downloads == 1 and link.last_downloaded_at is not None


def test_a_wrong_token_answers_404(client, labelled):
    _, link = labelled
    wrong = secrets.token_urlsafe(32)
    assert client.get(f"/labels/{wrong}.pdf").status_code == 404
    assert client.get(f"/labels/{link.token[:-1]}.pdf").status_code == 404  # malformed: never reaches the view
    assert client.get(f"/labels/{link.token}.PDF").status_code == 404


def test_a_revoked_link_answers_404_exactly_like_a_wrong_token(client, world, labelled):
    _, link = labelled
    with merchant_scope(world.merchant):
        labels.label_link_revoke(merchant=world.merchant, link=link, by="user:owner@a.example")
    revoked = client.get(_path(link))
    wrong = client.get(f"/labels/{secrets.token_urlsafe(32)}.pdf")
    assert revoked.status_code == wrong.status_code == 404
    assert _without_csrf(revoked.content) == _without_csrf(
        wrong.content
    )  # the same page; only the per-request CSRF token differs
    assert labels.label_link_find(link.token) is None


def test_label_links_in_the_api(world, labelled):
    order, link = labelled
    api = make_api_client(world.merchant, "viewer")
    [listed] = api.get(f"/api/v1/orders/{order.pk}/labels/").json()["results"]
    assert (listed["id"], listed["url"], listed["revoked"], listed["store_note"]) == (
        link.pk,
        labels.label_url(link),
        False,
        "done",
    )
    staff = make_api_client(world.merchant, "staff")
    revoked = staff.post(f"/api/v1/labels/{link.pk}/revoke/")
    assert revoked.status_code == 200
    assert (revoked.json()["revoked"], revoked.json()["url"], revoked.json()["revoked_by"].startswith("api-key:")) == (
        True,
        None,
        True,
    )
    assert staff.post(f"/api/v1/labels/{link.pk}/revoke/").status_code == 200  # revoking again changes nothing
    with merchant_scope(world.merchant):
        assert [c.body for c in OrderComment.objects.filter(order=order)] == [
            "Miinto shipping label",
            f"Label link revoked by {revoked.json()['revoked_by']}.",
        ]


def test_a_viewer_cannot_revoke_a_link_or_comment(world, labelled, client):
    order, link = labelled
    viewer = make_api_client(world.merchant, "viewer")
    assert viewer.post(f"/api/v1/labels/{link.pk}/revoke/").status_code == 403
    assert viewer.post(f"/api/v1/orders/{order.pk}/comments/", {"body": "hi"}, format="json").status_code == 403
    client.force_login(MembershipFactory(merchant=world.merchant, role="viewer").user)
    assert client.post(f"/labels/{link.pk}/revoke/").status_code == 403
    assert client.post(f"/orders/by-id/{order.pk}/comments/", {"body": "hi"}).status_code == 403
    page = client.get(f"/orders/{order.transfer_id}/?tab=comment").content.decode()
    assert labels.label_url(link) in page and "Revoke link" not in page and 'id="add-comment"' not in page
    assert client.get(_path(link)).status_code == 200
    with merchant_scope(world.merchant):
        assert OrderComment.objects.count() == 1


def test_another_merchants_labels_and_comments_answer_404(world, labelled, other_merchant, client):
    order, link = labelled
    intruder = make_api_client(other_merchant, "staff")
    assert intruder.get(f"/api/v1/orders/{order.pk}/labels/").status_code == 404
    assert intruder.get(f"/api/v1/labels/{link.pk}/").status_code == 404
    assert intruder.get("/api/v1/labels/").json()["results"] == []
    assert intruder.post(f"/api/v1/labels/{link.pk}/revoke/").status_code == 404
    assert intruder.get(f"/api/v1/orders/{order.pk}/comments/").status_code == 404
    assert intruder.post(f"/api/v1/orders/{order.pk}/comments/", {"body": "hi"}, format="json").status_code == 404
    client.force_login(MembershipFactory(merchant=other_merchant).user)
    assert client.post(f"/labels/{link.pk}/revoke/").status_code == 404
    assert client.post(f"/orders/by-id/{order.pk}/comments/", {"body": "hi"}).status_code == 404
    with merchant_scope(world.merchant):
        link.refresh_from_db()
        assert link.revoked_at is None and OrderComment.objects.count() == 1


def test_the_comment_tab_shows_the_link_and_takes_comments(world, labelled, owner_client):
    order, link = labelled
    page = owner_client.get(f"/orders/{order.transfer_id}/?tab=comment").content.decode()
    assert f'<a href="{labels.label_url(link)}" rel="noreferrer">' in page and "Revoke link" in page
    response = owner_client.post(f"/orders/by-id/{order.pk}/comments/", {"body": "Packed by Anna"})
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.transfer_id}/?tab=comment"
    empty = owner_client.post(f"/orders/by-id/{order.pk}/comments/", {"body": "  "}, follow=True)
    assert "This field is required." in empty.content.decode()
    owner_client.post(f"/labels/{link.pk}/revoke/")
    page = owner_client.get(f"/orders/{order.transfer_id}/?tab=comment").content.decode()
    assert "Packed by Anna" in page and "user:owner@a.example" in page
    assert labels.label_url(link) not in page and "Label link revoked by user:owner@a.example." in page
    assert owner_client.get(_path(link)).status_code == 404


def test_comments_in_the_api(world, labelled):
    order, link = labelled
    api = make_api_client(world.merchant, "staff")
    created = api.post(f"/api/v1/orders/{order.pk}/comments/", {"body": "Gift wrap"}, format="json")
    assert created.status_code == 201 and created.json()["author"].startswith("api-key:")
    assert api.post(f"/api/v1/orders/{order.pk}/comments/", {"body": ""}, format="json").status_code == 400
    listed = api.get(f"/api/v1/orders/{order.pk}/comments/").json()["results"]
    assert [(c["body"], c["label_url"]) for c in listed] == [
        ("Gift wrap", None),
        ("Miinto shipping label", labels.label_url(link)),
    ]


def test_the_admin_never_shows_the_token(world, labelled, admin_client):
    _, link = labelled
    page = admin_client.get(f"/admin/orders/labellink/{link.pk}/change/").content.decode()
    assert page.count(link.token_hash) == 1 and link.token not in page
