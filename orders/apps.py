"""Orders: transfers, positions, decisions, Miinto orders and their store pushes."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from connections.sync.enqueue import MIINTO_QUEUE
        from connections.sync.outbox import STORE_OF_ROW, register_outbox
        from connections.sync.problems import register_problem_kind
        from connections.sync.runs import register_flow
        from koongo.dashboard import NavItem, OverviewPanel, register_nav_item, register_overview_panel
        from orders import events as order_events
        from orders import ingest, matching, pushes
        from orders.flow import orders_flow
        from orders.models import DecisionPush, StorePush
        from orders.selectors import overview_context
        register_flow("orders", orders_flow)
        from orders import tasks  # noqa: F401  registers the decision batch task wherever the app loads (eager in tests)

        register_outbox(
            DecisionPush, pushes.decision_push_execute, max_attempts=10, lease_seconds=120, related=pushes.DECISION_PUSH_RELATED,
            queue=MIINTO_QUEUE,
        )  # fmt: skip
        register_outbox(
            StorePush, pushes.store_push_execute, max_attempts=10, lease_seconds=300, related=pushes.STORE_PUSH_RELATED,
            deferred=pushes.STORE_PUSH_DEFERRED, on_dead=order_events.order_push_failed, remote=STORE_OF_ROW,
        )  # fmt: skip
        register_problem_kind(ingest.MALFORMED, label=_("Malformed Miinto payload"))
        register_problem_kind(pushes.AMBIGUOUS_STOCK, label=_("Stock write with unknown outcome"))
        register_problem_kind(pushes.LATE_POSITIONS, label=_("Positions added to an order already in the store"))
        register_problem_kind(matching.IDENTIFICATION_MISMATCH, label=_("Product Identification Attribute does not match"))
        from orders import problem_links

        problem_links.register()
        register_nav_item(NavItem(_("Orders"), "orders:list", order=20))
        register_overview_panel(OverviewPanel("orders", "orders/_overview_panel.html", overview_context, order=20))
        from orders.shipments import registration  # shipments and labels: flows, outbox kinds, problem kinds, webhooks

        registration.register()
