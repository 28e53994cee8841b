"""Refuse hostile input to the API and the webhook receivers before any view runs, always with a JSON message.

A body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 (Django would raise a 400 HTML page on `request.body`);
JSON that is invalid, nested too deep or holds NUL, and a NUL in a query or form value, answer 400.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

from koongo.json_input import JSONInputError, contains_nul, parse_untrusted_json

GUARDED_PREFIXES = ("/api/", "/webhooks/")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _refuse(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message, "code": code}, status=status)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class UntrustedInputGuard:
    """Middleware for GUARDED_PREFIXES; everything else (the dashboard's forms) passes untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(GUARDED_PREFIXES):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request) -> JsonResponse | None:
        if any(contains_nul(text) for key, values in request.GET.lists() for text in [key, *values]):
            return _refuse("Query parameters may not contain NUL (\\u0000) characters.", "nul_character", 400)
        if request.method not in BODY_METHODS:
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return _refuse(f"The request body is over the limit of {limit} bytes.", "body_too_large", 413)
        content_type = request.content_type or ""
        try:
            body = request.body if "json" in content_type or request.path.startswith("/webhooks/") else b""
        except RequestDataTooBig:  # no Content-Length (chunked), but over the limit once read
            return _refuse(f"The request body is over the limit of {limit} bytes.", "body_too_large", 413)
        if body.strip():  # an empty body is the view's business (most actions take none)
            try:
                parse_untrusted_json(body)
            except JSONInputError as error:
                return _refuse(str(error), "invalid_json", 400)
        elif content_type == "application/x-www-form-urlencoded":
            if any(contains_nul(text) for key, values in request.POST.lists() for text in [key, *values]):
                return _refuse("Form values may not contain NUL (\\u0000) characters.", "nul_character", 400)
        return None
