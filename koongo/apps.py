"""The project package as an app, so it can hold templates, static files, commands and the cache-table migration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KoongoConfig(AppConfig):
    name = "koongo"
    verbose_name = _("Koongo core")

    def ready(self):
        from koongo import tasks  # noqa: F401  (registers beat's liveness tick, as every app registers its tasks)
