"""In the browser: the problems inbox's row buttons (one form a row, each button posting to its own action) handle one
problem and ignore another, and the inbox comes back to the page the merchant was on."""

import pytest

from connections.models import Problem, ProblemState
from connections.sync.problems import problem_raise
from koongo.accounts.tenancy import merchant_scope
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_handle_and_ignore_problems_from_their_rows(transactional_db, merchant, owner, page, live_server):
    handled = problem_raise(merchant=merchant, kind="malformed_payload", message="A transfer Miinto sent was unreadable", fingerprint="b:1")
    ignored = problem_raise(merchant=merchant, kind="malformed_payload", message="Another unreadable transfer", fingerprint="b:2")
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/problems/?state=open")
    page.locator(f'tr[data-problem="{handled.pk}"] button:text-is("Handled")').click()
    page.wait_for_url(f"{live_server.url}/problems/?state=open")
    assert page.locator(f'tr[data-problem="{handled.pk}"]').count() == 0  # no longer open
    page.locator(f'tr[data-problem="{ignored.pk}"] button:text-is("Ignore")').click()
    page.wait_for_url(f"{live_server.url}/problems/?state=open")
    assert "No problems here." in page.locator("#problems-table").inner_text()
    with merchant_scope(merchant):
        assert dict(Problem.objects.values_list("pk", "state")) == {handled.pk: ProblemState.HANDLED, ignored.pk: ProblemState.IGNORED}
        assert Problem.objects.get(pk=handled.pk).resolved_by == "owner@a.example"
