"""The project package as an app, so it can hold templates, static files, commands and the cache-table migration."""

from django.apps import AppConfig


class KoongoConfig(AppConfig):
    name = "koongo"
    verbose_name = "Koongo core"
