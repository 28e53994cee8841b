"""The project package as an app, so it can hold templates, static files, commands and the cache-table migration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KoongoConfig(AppConfig):
    name = "koongo"
    verbose_name = _("Koongo core")

    def ready(self):
        from django.db.backends.signals import connection_created

        from koongo import tasks  # noqa: F401  (registers beat's liveness tick, as every app registers its tasks)
        from koongo.pg_timestamps import use_fast_timestamps

        connection_created.connect(use_fast_timestamps, dispatch_uid="koongo.pg_timestamps")
