"""Gunicorn settings for the web service (Dockerfile, compose and bench/data_scale.py): preloaded, warmed app, frozen GC heap.

With `preload_app` the master imports Django once; `gc.freeze()` then moves every object loaded so far into a permanent
generation, so the workers' collections no longer walk (and copy-on-write touch) the whole framework on each full pass.
The data-scale run found 120-190 ms p99 pauses on fast list endpoints from those passes.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# A higher first threshold: a request allocates tens of thousands of short-lived objects (querysets, serializer fields).
gc_gen0_threshold = int(os.environ.get("GC_GEN0_THRESHOLD", "50000"))


def when_ready(server):
    """Runs in the master once the preloaded app is imported, before the workers fork."""
    from django.db import connections

    from koongo.warmup import warm_up

    warm_up()  # URL patterns, templates, catalogues: built once here, not on each worker's first requests
    connections.close_all()  # a connection opened here would be shared by every forked worker
    gc.collect()
    gc.freeze()
    gc.set_threshold(gc_gen0_threshold, *gc.get_threshold()[1:])


def post_fork(server, worker):
    # The threshold is process state: set it again in each worker (fork keeps it, but a reload may not).
    gc.set_threshold(gc_gen0_threshold, *gc.get_threshold()[1:])


def child_exit(server, worker):
    """A worker that exits leaves its metric files behind unless marked dead (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
