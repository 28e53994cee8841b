"""E-mails sent by workers reach each reader in their saved language (a worker has no Accept-Language to go by)."""

from __future__ import annotations

from django.core import mail

from koongo.accounts.mail import by_language, send_in_their_languages
from koongo.accounts.models import Plan
from koongo.accounts.services import usage_add_orders
from tests.i18n.wording import in_language

QUOTA_SUBJECT = "Miinto orders: %(percent)s%% of your monthly quota used"


def test_readers_are_grouped_by_their_saved_language_and_the_rest_get_the_sites(settings):
    addresses = [("a@x.example", "da"), ("b@x.example", ""), ("c@x.example", "xx"), ("d@x.example", "da")]
    assert by_language(addresses) == {"da": ["a@x.example", "d@x.example"], settings.LANGUAGE_CODE: ["b@x.example", "c@x.example"]}


def test_each_language_is_composed_once_and_one_each_hides_the_readers_from_each_other():
    from django.utils.translation import get_language

    composed = []

    def compose():
        composed.append(get_language())
        return f"subject {get_language()}", "body"

    addresses = [("a@x.example", "da"), ("b@x.example", "de"), ("c@x.example", "de")]
    assert send_in_their_languages(addresses, compose) == 2
    assert composed == ["da", "de"]
    assert [(m.to, m.subject) for m in mail.outbox] == [(["a@x.example"], "subject da"), (["b@x.example", "c@x.example"], "subject de")]
    mail.outbox.clear()
    assert send_in_their_languages(addresses, compose, one_each=True) == 3
    assert [m.to for m in mail.outbox] == [["a@x.example"], ["b@x.example"], ["c@x.example"]]
    assert send_in_their_languages([], compose) == 0


def test_the_quota_notice_reaches_each_owner_in_their_language(merchant, danish_owner, django_capture_on_commit_callbacks):
    merchant.plan = Plan.objects.create(code="tiny", name="Tiny", order_sync=True, orders_per_month=10)
    merchant.save()
    with django_capture_on_commit_callbacks(execute=True):
        usage_add_orders(merchant=merchant, count=8)
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    danish = in_language("da", QUOTA_SUBJECT, percent=80)
    assert danish != QUOTA_SUBJECT % {"percent": 80}  # the catalogue really has it
    assert subjects == {danish_owner.email: danish, "co@a.example": QUOTA_SUBJECT % {"percent": 80}}
