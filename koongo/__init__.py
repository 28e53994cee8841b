"""The Django project: settings, URLs, the Celery app, and the cross-cutting core (accounts, http, crypto)."""

from koongo.celery import app as celery_app

__all__ = ["celery_app"]
