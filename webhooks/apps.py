"""Webhooks: signed outbound events for integrators (Standard Webhooks), delivered through their own outbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Outbound webhooks")

    def ready(self):
        from koongo.dashboard import OverviewPanel, register_overview_panel
        from webhooks import tasks  # noqa: F401  (registers the tasks, so queueing by name finds them in every process)
        from webhooks.selectors import overview_context

        register_overview_panel(OverviewPanel("webhooks", "webhooks/_overview_panel.html", overview_context, order=90))
        from koongo.accounts.management.commands.seed_demo import demo_seeded
        from webhooks.demo import seed_demo_webhooks

        demo_seeded.connect(seed_demo_webhooks, dispatch_uid="webhooks-demo")
