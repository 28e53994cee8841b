"""RMA: Miinto returns, store refunds, and the outbox rows between them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RmaConfig(AppConfig):
    name = "rma"
    verbose_name = _("RMA and refunds")

    def ready(self):
        from connections.sync.enqueue import MIINTO_QUEUE
        from connections.sync.outbox import STORE_OF_ROW, register_outbox
        from connections.sync.problems import register_problem_kind
        from connections.sync.runs import register_flow
        from connections.webhooks import register_webhook_handler
        from koongo.dashboard import NavItem, OverviewPanel, register_nav_item, register_overview_panel
        from orders.signals import store_orders_recorded
        from rma import decisions, problems, refunds, requests, services
        from rma.models import RefundPush, RmaDecisionPush, RmaRequestPush
        from rma.scope import refund_sync_scope, rma_scope
        from rma.selectors import overview_context

        register_flow("rma", services.returns_import, scheduled_for=lambda connection: bool(rma_scope(connection)))
        register_flow("refunds", services.store_refunds_import, scheduled_for=lambda connection: bool(refund_sync_scope(connection)))
        register_outbox(
            RmaDecisionPush, decisions.rma_decision_push_execute, max_attempts=10, lease_seconds=120,
            describe=decisions.rma_decision_describe, queue=MIINTO_QUEUE,
        )
        register_outbox(
            RefundPush, refunds.refund_push_execute, max_attempts=10, lease_seconds=300, describe=refunds.refund_push_describe,
            remote=STORE_OF_ROW,
        )  # fmt: skip
        register_outbox(
            RmaRequestPush, requests.rma_request_push_execute, max_attempts=10, lease_seconds=120,
            describe=requests.rma_request_describe, queue=MIINTO_QUEUE,
        )
        store_orders_recorded.connect(refunds.refunds_due_when_orders_recorded, dispatch_uid="rma.refunds_due")
        for code, label in problems.LABELS.items():
            register_problem_kind(code, label=label)
        register_webhook_handler("refund_created", services.store_refund_received)
        from rma import problem_links

        problem_links.register()
        register_nav_item(NavItem(_("RMA"), "rma:list", order=30))
        register_overview_panel(OverviewPanel("rma", "rma/_overview_panel.html", overview_context, order=30))
