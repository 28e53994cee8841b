"""Gunicorn settings for the web service (Dockerfile, compose and bench/data_scale.py): preloaded, warmed app, frozen GC heap,
and garbage collected between requests.

With `preload_app` the master imports Django once; `gc.freeze()` then moves every object loaded so far into a permanent
generation, so the workers' collections no longer walk (and copy-on-write touch) the whole framework on each full pass.
The data-scale run found 120-190 ms p99 pauses on fast list endpoints from those passes. The workers' collections then
run after a response has gone out, never inside a request: one inside a request was still 20-30 ms on a 12 ms page.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Allocations between two collections: a request allocates tens of thousands of short-lived objects (querysets,
# serializer fields), most freed by reference counting; what cycles leave waits for the collection after a request.
gc_gen0_threshold = int(os.environ.get("GC_GEN0_THRESHOLD", "50000"))
# Every tenth collection after a request includes the middle generation, every hundredth is a full one (CPython's own
# ratios between generations).
GC_OLDER_EVERY = 10


def when_ready(server):
    """Runs in the master once the preloaded app is imported, before the workers fork."""
    from django.db import connections

    from koongo.warmup import warm_up

    warm_up()  # URL patterns, templates, catalogues: built once here, not on each worker's first requests
    connections.close_all()  # a connection opened here would be shared by every forked worker
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """No automatic collection in a worker: `post_request` collects once a response has gone out."""
    gc.disable()
    worker.gc_collections = 0


def post_request(worker, req, environ, resp):
    """Collect the request's cyclic garbage once enough has been allocated, after the response went out."""
    if gc.get_count()[0] < gc_gen0_threshold:
        return
    worker.gc_collections = getattr(worker, "gc_collections", 0) + 1
    generation = 2 if worker.gc_collections % GC_OLDER_EVERY**2 == 0 else 1 if worker.gc_collections % GC_OLDER_EVERY == 0 else 0
    gc.collect(generation)


def child_exit(server, worker):
    """A worker that exits leaves its metric files behind unless marked dead (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
