"""Connections: Miinto and store connections, order configuration, and the shared sync machinery."""

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Connections and sync"

    def ready(self):
        from connections import outbox, problems  # noqa: F401  (registers the dead-outbox problem kind)
        from connections.selectors_sync import sync_overview
        from koongo.dashboard import NavItem, OverviewPanel, register_nav_item, register_overview_panel

        register_overview_panel(
            OverviewPanel(name="connections", template="connections/_overview_panel.html", context=sync_overview, order=10)
        )
        register_nav_item(NavItem(label="Problems", url_name="connections:problems", order=40))
