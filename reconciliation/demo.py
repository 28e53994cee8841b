"""Reconciliation's part of `make demo`: the merchant accepts an offer in Miinto's own back office (through the Miinto
simulator's control API), then a run of the last two days finds that order missing from the store, with its fix.

`seed_demo_reconciliation` answers the demo_seeded signal after catalog's receiver (INSTALLED_APPS order).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from connections import clients
from connections.models import MiintoConnection
from koongo.accounts.tenancy import merchant_scope
from reconciliation.models import ReconciliationRun, RunTrigger
from reconciliation.services import reconciliation_execute, reconciliation_start


def _accept_in_miinto_back_office(shop_id: str) -> int:
    """One random offer of the demo catalog, accepted in Miinto's back office; returns the order Miinto made."""
    with httpx.Client(base_url=settings.MIINTO_SIMULATOR_URL, transport=clients.transport_for("miinto"), timeout=10) as http:
        created = http.post("/_sandbox/transfers", json={"shopId": shop_id, "count": 1})
        created.raise_for_status()
        transfer = created.json()["transfers"][0]
        decided = http.post(
            f"/_sandbox/transfers/{transfer['id']}/decide", json={"accepted": [p["id"] for p in transfer["positions"]]}
        )
        decided.raise_for_status()
        return decided.json()["newOrder"]["id"]


def seed_demo_reconciliation(sender=None, *, merchant, **kwargs) -> str:
    """Once per demo merchant: a divergence and the run that reports it; returns the line the seed command prints."""
    from connections.demo import DEMO_SHOP_ID

    with merchant_scope(merchant):
        connection = MiintoConnection.objects.filter(merchant=merchant, shop_id=DEMO_SHOP_ID).first()
        if connection is None:
            return "reconciliation: no demo Miinto connection, so no run"
        existing = ReconciliationRun.objects.filter(connection=connection, trigger=RunTrigger.DEMO).first()
        if existing is not None:
            return f"reconciliation: demo run #{existing.pk} exists already ({existing.findings_total} finding(s))"
    _accept_in_miinto_back_office(connection.shop_id)
    now = timezone.now()
    with merchant_scope(merchant):
        run = reconciliation_start(
            merchant=merchant, connection=connection, period_start=now - timedelta(days=2), period_end=now + timedelta(minutes=5),
            trigger=RunTrigger.DEMO, actor="demo",
        )  # fmt: skip
        run = reconciliation_execute(run)
    return f"reconciliation: run #{run.pk} of {connection}: {run.findings_total} finding(s), at /reconciliation/runs/{run.pk}/"
