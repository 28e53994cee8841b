"""The demo hook: an offer accepted in Miinto's back office and the run that reports its order missing from the store,
once however often the demo is seeded."""

from __future__ import annotations

from contextlib import ExitStack

from connections import clients
from connections.demo import DEMO_SHOP_ID, demo_store_catalog
from koongo.accounts.management.commands.seed_demo import demo_seeded
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import PrefixMount, wsgi_transport
from miinto.sandbox import MiintoSimulator
from platforms import registry
from reconciliation.demo import seed_demo_reconciliation
from reconciliation.models import Finding, ReconciliationRun


def test_the_demo_shows_a_run_with_its_finding_once(merchant):
    miinto = MiintoSimulator(seed=1, scenario="demo")
    stores = {code: registry.sandbox_class(code)(1) for code in registry.codes()}
    stores["shopify"].seed_products([{**item, "image_url": f"https://images.example.com/{item['sku']}.jpg"} for item in demo_store_catalog()])
    with ExitStack() as stack:
        for code in stores:
            stack.enter_context(clients.use_transport(code, wsgi_transport(PrefixMount(stores))))
        stack.enter_context(clients.use_transport("miinto", wsgi_transport(miinto)))
        first = dict(demo_seeded.send(sender=None, merchant=merchant))[seed_demo_reconciliation]
        again = dict(demo_seeded.send(sender=None, merchant=merchant))[seed_demo_reconciliation]
    with merchant_scope(merchant):
        run = ReconciliationRun.objects.get()
        [finding] = Finding.objects.filter(run=run)
    [order] = [o for o in miinto.state.orders.values() if o.shop_id == DEMO_SHOP_ID]
    assert (run.status, run.trigger, run.connection.shop_id) == ("done", "demo", DEMO_SHOP_ID)
    assert (finding.kind, finding.miinto_order_id, finding.fix) == ("accepted_no_store_order", order.id, "fetch_order")
    assert first == f"reconciliation: run #{run.pk} of {run.connection}: 1 finding(s), at /reconciliation/runs/{run.pk}/"
    assert again == f"reconciliation: demo run #{run.pk} exists already (1 finding(s))"
