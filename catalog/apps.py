"""Catalog: the merchant's store products as we see them, their Miinto listings and exported prices, the feed and stock push."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog and stock")

    def ready(self):
        from catalog import feed, stock
        from catalog.flows import catalog_flow, catalog_refresh_due, stock_flow, stock_push_scheduled
        from connections.sync.problems import register_problem_kind
        from connections.sync.runs import register_flow
        from koongo.dashboard import NavItem, register_nav_item

        register_flow("catalog", catalog_flow, scheduled_for=catalog_refresh_due)
        register_flow("stock", stock_flow, scheduled_for=stock_push_scheduled)
        register_problem_kind(feed.ROWS_LEFT_OUT, label=_("Products left out of the Miinto feed"))
        register_problem_kind(stock.UNKNOWN_ITEMS, label=_("Items unknown to Miinto's stock API"))
        register_nav_item(NavItem(_("Products"), "catalog:index", order=30))
        from catalog.demo import seed_demo_catalog
        from koongo.accounts.management.commands.seed_demo import demo_seeded

        # Connected after connections' receiver (INSTALLED_APPS order), which links the demo shop this one fills.
        demo_seeded.connect(seed_demo_catalog, dispatch_uid="catalog-demo")
