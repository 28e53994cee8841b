"""The Celery app; configuration comes from Django settings under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koongo.settings")

app = Celery("koongo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_undecryptable_secrets(**kwargs):
    """A worker never starts with keys that cannot decrypt the stored credentials; it says which and why."""
    from django.db import DatabaseError

    from koongo.crypto import keys_problem

    try:
        problem = keys_problem(sample=1)
    except DatabaseError:
        return  # no database yet (before the first migrate), so no secret to misread; readyz reports the database
    if problem:
        raise SystemExit(f"koongo worker refuses to start: {problem}")
