"""Connections: Miinto and store connections, order configuration, and the shared sync machinery."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = _("Connections and sync")

    def ready(self):
        from auditlog.registry import auditlog

        from connections import staleness
        from connections import tasks as refresh_tasks  # noqa: F401  (registers the cached lists' refresh tasks)
        from connections.configuration_checks import configuration_choice_errors
        from connections.models import MiintoConnection, OrderConfiguration, StoreConnection
        from connections.sync import (  # noqa: F401  (registers the dead-outbox problem kind)
            outbox,
            problems,
            tasks,  # noqa: F401  (registers the engine's tasks: autodiscovery looks only at <app>.tasks)
        )
        from connections.sync.selectors import sync_overview
        from koongo.dashboard import NavItem, OverviewPanel, register_nav_item, register_overview_panel

        # The model's clean() (admin, ModelForms) checks choices against the store's and Miinto's lists.
        OrderConfiguration.choice_errors = staticmethod(configuration_choice_errors)
        # Secrets are excluded outright: auditlog's mask_fields would still keep half of each value.
        auditlog.register(
            MiintoConnection, exclude_fields=["password", "channel_id", "channel_token", "next_sync_at", "last_synced"]
        )
        auditlog.register(StoreConnection, exclude_fields=["credentials"])
        auditlog.register(OrderConfiguration, exclude_fields=["updated_at"])
        from connections.demo import seed_demo_connections
        from koongo.accounts.management.commands.seed_demo import demo_seeded

        demo_seeded.connect(seed_demo_connections, dispatch_uid="connections-demo")
        from django.db.models.signals import post_save

        from connections.plan_limits import on_merchant_saved
        from koongo.accounts.models import Merchant

        post_save.connect(on_merchant_saved, sender=Merchant, dispatch_uid="connections-plan-limits")
        register_nav_item(NavItem(_("Connections"), "connections:list", order=10))
        register_nav_item(NavItem(_("Problems"), "connections:problems", order=40))
        register_overview_panel(OverviewPanel("connections", "connections/_overview_panel.html", sync_overview, order=10))
        register_overview_panel(OverviewPanel("stale", "connections/_stale_panel.html", staleness.stale_overview, order=11))
