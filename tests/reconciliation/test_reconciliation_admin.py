"""Admin: runs and findings across merchants, and the "Apply the offered fix" action run in each finding's scope."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from tests.reconciliation.conftest import seed_run


def test_the_admin_lists_runs_and_findings_of_every_merchant(client, merchant, connection, other_merchant, other_connection):
    mine, theirs = seed_run(merchant, connection, 2), seed_run(other_merchant, other_connection, 1)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    runs = client.get("/admin/reconciliation/reconciliationrun/").content.decode()
    assert f">{mine.pk}<" in runs and f">{theirs.pk}<" in runs
    assert client.get(f"/admin/reconciliation/reconciliationrun/{mine.pk}/change/").status_code == 200
    assert "SKU-0" in client.get("/admin/reconciliation/finding/").content.decode()


def test_the_fix_action_refuses_what_no_longer_applies_and_says_why(client, merchant, connection):
    from reconciliation.models import Finding

    run = seed_run(merchant, connection, 0)
    with scopes_disabled():
        finding = Finding.objects.create(merchant=merchant, run=run, connection=connection, kind="shipped_not_on_miinto",
                                         message="Shipped", fix="resend_shipment", fix_args={"push": 999999})  # fmt: skip
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    response = client.post(
        "/admin/reconciliation/finding/", {"action": "apply_fix", "_selected_action": [finding.pk]}, follow=True
    )
    text = response.content.decode()
    assert "That outbox row is no longer stuck" in text and "Applied 0 fix(es)." in text
    with scopes_disabled():
        assert Finding.objects.get(pk=finding.pk).fixed_at is None
