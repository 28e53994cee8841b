"""The Celery app; configuration comes from Django settings under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_shutdown

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
def serve_worker_metrics(**kwargs):
    """With METRICS_PORT set, the worker's main process serves its pool's metrics (multiprocess mode) for Prometheus."""
    port = os.environ.get("METRICS_PORT")
    if not port:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), registry=registry)


@worker_process_shutdown.connect
def forget_dead_pool_process(pid=None, **kwargs):
    """A pool process that exits leaves its gauges behind unless marked dead (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
