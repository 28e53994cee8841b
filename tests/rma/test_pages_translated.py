"""The RMA pages in the pseudo-locale, in the states the demo crawl does not reach (a pending RMA with its decision
forms, a store refund to choose for, a decided RMA): every text the rma templates show went through gettext or is
marked as data. Only the rma app's own markup is checked; the page frame and the activity table belong to others."""

import re

import pytest

from rma.models import Rma, StoreRefund
from tests.i18n.pseudo import PSEUDO, pseudo_locale, unmarked_texts
from tests.rma.conftest import GTIN_JEANS, GTIN_TEE_M

# Others' markup inside the content: the activity table (connections) and the frame's flash messages (koongo).
OTHERS = re.compile(r'<table[^>]*id="activity-table".*?</table>|<button type="button" class="btn-close"[^>]*>', re.S)


def rma_markup(html: str) -> str:
    """The part of a page the rma app renders: the content block (or the order page's RMA tabs), no activity table."""
    content = re.search(r"<main.*?>(.*?)<footer", html, re.S).group(1)
    tab = re.search(r'<div id="(?:rma|refunds)-tab">.*', content, re.S)
    return OTHERS.sub("", tab.group(0) if tab else content)


@pytest.fixture
def pseudo(settings):
    settings.LANGUAGE_CODE = PSEUDO  # the default language, whether or not a middleware reads Accept-Language
    with pseudo_locale(settings) as headers:
        yield headers


@pytest.fixture
def world_with_choices(rma_world):
    """A pending RMA of two lines, and a store refund of one of them waiting for the merchant's choice."""
    order = rma_world.sell((GTIN_TEE_M, 10000, 2), (GTIN_JEANS, 50000, 1))
    rma_world.customer_return(order, {"TEE-BLK-M": 1, "JEANS-32": 1}, reason="Too small")
    rma_world.sync_rmas()
    rma_world.refund_in_store(order, {"TEE-BLK-M": 1})
    rma_world.sync_refunds()
    return order, Rma.objects.get(), StoreRefund.objects.get()


def untranslated(client, headers, url: str) -> list[str]:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return unmarked_texts(rma_markup(response.content.decode()))


def test_the_rma_pages_show_only_translated_text_or_data(world_with_choices, owner_client, pseudo):
    order, rma, refund = world_with_choices
    pages = [
        "/rmas/",
        f"/rmas/{rma.pk}/",
        "/rmas/needs-attention/",
        f"/refunds/{refund.pk}/",
        f"/rmas/settings/{rma.connection.pk}/",
        f"/orders/{order.transfer_id}/?tab=rma",
        f"/orders/{order.transfer_id}/?tab=refunds",
    ]
    assert {url: untranslated(owner_client, pseudo, url) for url in pages} == {url: [] for url in pages}


def test_a_decided_rma_shows_only_translated_text_or_data(
    world_with_choices, owner_client, pseudo, django_capture_on_commit_callbacks
):
    order, rma, refund = world_with_choices
    with django_capture_on_commit_callbacks(execute=True):  # the decision's push runs after the commit
        owner_client.post(f"/refunds/{refund.pk}/accept/", {"rma": rma.pk})
    pages = [f"/rmas/{rma.pk}/", f"/orders/{order.transfer_id}/?tab=rma", f"/refunds/{refund.pk}/"]
    assert {url: untranslated(owner_client, pseudo, url) for url in pages} == {url: [] for url in pages}


def test_the_markup_check_sees_the_rma_content(world_with_choices, owner_client, pseudo):
    """A guard for the two tests above: the slice they check holds the page's visible text, in markers."""
    _, rma, _ = world_with_choices
    html = owner_client.get(f"/rmas/{rma.pk}/", **pseudo).content.decode()
    assert "⟦Accept⟧" in rma_markup(html) and "Too small" in rma_markup(html)
    assert unmarked_texts('<div id="rma-tab"><p>Not translated</p></div>') == ["'Not translated'"]
