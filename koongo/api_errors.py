"""The API's error format: DRF's, plus our service errors mapped to field-level 400s, 403s and 404s.

Every `{"detail": …}` answer carries a `code` too: the message follows the request's language (Accept-Language, or a
signed-in user's choice), the code never does, so clients branch on the code.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from koongo.accounts.services import PermissionDenied


def exception_handler(exc, context):
    """DRF's handler plus our service errors, always with field-level messages where a field is to blame."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # DRF's "Not found.", in the request's language
    elif isinstance(exc, ProtectedError):
        return Response({"detail": _protected_message(exc), "code": "protected"}, status=status.HTTP_409_CONFLICT)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(response.data["detail"], "code", None) or exc.default_code)
    return response


def _protected_message(exc: ProtectedError) -> str:
    """A delete refused because business records still point at the object: name what holds it, count nothing secret."""
    holders = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
    return _("This cannot be deleted while %(holders)s still refer to it.") % {"holders": ", ".join(holders)}
