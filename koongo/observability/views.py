"""GET /metrics: the Prometheus text format behind a bearer token (METRICS_TOKEN)."""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from koongo.observability.backlog import BacklogCollector


def _authorized(request) -> bool:
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)


def process_registry() -> CollectorRegistry:
    """This process's metrics, or under gunicorn (PROMETHEUS_MULTIPROC_DIR) every worker process's, summed."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition() -> bytes:
    """The counters and histograms, then the backlog gauges read from the database now."""
    backlog = CollectorRegistry(auto_describe=False)
    backlog.register(BacklogCollector())
    return generate_latest(process_registry()) + generate_latest(backlog)


@require_GET
def metrics_view(request):
    if not settings.METRICS_TOKEN:
        if settings.IS_PROD:
            raise Http404("metrics are off: set METRICS_TOKEN")  # in production an unset token means no endpoint
    elif not _authorized(request):
        response = HttpResponse("a valid bearer token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
