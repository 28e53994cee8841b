"""Reconciliation: per-connection comparison runs of Miinto, our records and the store, with typed findings and fixes."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = _("Reconciliation")

    def ready(self):
        from koongo.accounts.management.commands.seed_demo import demo_seeded
        from koongo.dashboard import NavItem, register_nav_item
        from reconciliation import tasks  # noqa: F401  (registers the run and daily tasks, as every app registers its tasks)
        from reconciliation.demo import seed_demo_reconciliation

        register_nav_item(NavItem(_("Reconciliation"), "reconciliation:index", order=40))
        demo_seeded.connect(seed_demo_reconciliation, dispatch_uid="reconciliation-demo")
