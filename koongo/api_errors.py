"""The API's error format: DRF's, plus our service errors mapped to field-level 400s, 403s and 404s."""

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
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, ProtectedError):
        return Response({"detail": _protected_message(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def _protected_message(exc: ProtectedError) -> str:
    """A delete refused because business records still point at the object: name what holds it, count nothing secret."""
    holders = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
    return _("This cannot be deleted while %(holders)s still refer to it.") % {"holders": ", ".join(holders)}
