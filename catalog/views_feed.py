"""The feed endpoint Miinto pulls: a capability URL behind HTTP Basic Auth, streamed from live data."""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_http_methods
from django_scopes import scopes_disabled

from catalog.feed import feed_stream
from catalog.feed_access import feed_credentials_match
from catalog.models import CatalogSettings

CONTENT_TYPE = "text/tab-separated-values; charset=utf-8"


def _unauthorized() -> HttpResponse:
    response = HttpResponse("Authentication required.\n", status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Basic realm="Miinto product feed", charset="UTF-8"'
    return response


@require_http_methods(["GET", "HEAD"])
def feed(request, token: str):
    """GET streams the whole feed and records what it exported; HEAD only answers whether the credentials work."""
    # A capability-URL lookup across merchants (an allowed place); the stream then runs in the owner's scope.
    with scopes_disabled():
        catalog_settings = (
            CatalogSettings.objects.select_related("connection__merchant", "connection__order_configuration")
            .filter(feed_token=token)
            .first()
        )
    if catalog_settings is None:
        raise Http404("No such feed.")
    if not feed_credentials_match(catalog_settings, request.headers.get("Authorization", "")):
        return _unauthorized()
    if request.method == "HEAD":
        return HttpResponse(content_type=CONTENT_TYPE)
    response = StreamingHttpResponse(feed_stream(catalog_settings), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="miinto-feed.tsv"'
    response["Cache-Control"] = "no-store"
    return response
