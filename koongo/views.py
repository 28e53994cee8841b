"""Project-level views: the overview page, health and readiness probes, and error pages."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from koongo.accounts.decorators import merchant_required
from koongo.accounts.services import quota_percent, usage_this_month
from koongo.dashboard import overview_panels


@merchant_required
def overview(request):
    merchant = request.merchant
    context = {
        "panels": overview_panels(merchant),
        "orders_this_month": usage_this_month(merchant),
        "quota_percent": quota_percent(merchant),
    }
    return render(request, "overview.html", context)


def healthz(request):
    """The process is up; checks nothing else."""
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    cache.set("readyz", "1", 10)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        if not folder.is_dir():
            raise RuntimeError(f"broker folder {folder} is missing")
        return
    if url.startswith("memory://"):
        return
    from kombu import Connection

    with Connection(url, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)


def check_encryption_keys() -> None:
    from django.db import DatabaseError

    from koongo.crypto import keys_problem

    try:
        problem = keys_problem(sample=1)  # the newest secret of each column: a key set that cannot read it is wrong
    except DatabaseError:
        return  # an unreachable database is the database check's finding, not a key problem
    if problem:
        raise RuntimeError(problem)


READINESS_CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "encryption_keys": check_encryption_keys,
}


def readyz(request):
    """503 with the failing dependencies: database, cache or broker unreachable, or keys that cannot decrypt secrets."""
    failures = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means not ready; report which and why
            failures[name] = f"{type(error).__name__}: {error}"[:400]
    if failures:
        return JsonResponse({"status": "unavailable", "failing": failures}, status=503)
    return JsonResponse({"status": "ok", "checks": sorted(READINESS_CHECKS)})


def _wants_json(request) -> bool:
    # API clients and webhook senders read JSON; an HTML error page is noise to them.
    return request.path.startswith(("/api/", "/webhooks/"))


def error_404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": gettext("Not found."), "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def error_500(request):
    if _wants_json(request):
        return JsonResponse({"detail": gettext("Internal server error."), "code": "error"}, status=500)
    return render(request, "500.html", status=500)
