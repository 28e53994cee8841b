"""The OpenAPI schema's house rules, so it says what the API really answers.

Every operation lists the error answers it can give (400 field errors, 401/403, 404 for an object id, 409/422
for an Idempotency-Key, 413 for a body over the limit); unsafe methods of idempotent views document the header;
only `list` actions are paginated (a custom action that answers a list answers a plain array).
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from koongo.idempotency import UNSAFE_METHODS, IdempotentWritesMixin

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
# A 400 names the fields at fault (each with its messages), or carries `detail` for a body that is not valid JSON.
_FIELD_ERRORS = {"type": "object", "additionalProperties": True, "description": "Field name → messages, or `detail`."}

_ERRORS = {
    "400": ("Invalid input: field-level messages (or `detail` for a body or query that is not accepted).", _FIELD_ERRORS),
    "401": ("No valid API key or session.", _DETAIL),
    "403": ("The key's or member's role may not do this.", _DETAIL),
    "404": ("No such object for this merchant.", _DETAIL),
    "409": ("Conflict: the Idempotency-Key is in use by a request still running, or the state forbids it.", _DETAIL),
    "413": ("The request body is over the size limit.", _DETAIL),
    "415": ("The body's Content-Type is not one the operation accepts, or its multipart framing is broken.", _DETAIL),
    "422": ("The Idempotency-Key was already used for a different request.", _DETAIL),
}


class KoongoAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers and the Idempotency-Key header."""

    def _is_idempotent_write(self) -> bool:
        return self.method in UNSAFE_METHODS and isinstance(self.view, IdempotentWritesMixin)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent_write():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Up to 200 characters, unique per request. A retry with the same key and the same request "
                    "answers the first response (header `Idempotent-Replay: true`) for 24 h; the same key with a "
                    "different request answers 422; while the first request still runs, 409.",
                )
            )
        return parameters

    def _get_paginator(self):
        # Only ListModelMixin's `list` paginates; custom actions that answer many objects answer a plain array.
        if getattr(self.view, "action", "list") != "list":
            return None
        return super()._get_paginator()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ChoiceField) and field.read_only and _model_field_allows_blank(field):
            # DRF drops `allow_blank` from read-only model fields, but a blank choice is still answered as "".
            inner = {key: value for key, value in schema.items() if key != "readOnly"}
            if list(inner) == ["allOf"] and len(inner["allOf"]) == 1:
                inner = inner["allOf"][0]
            schema = {"oneOf": [inner, {"type": "string", "enum": [""]}], "readOnly": True}
        return schema

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]  # 400 for any operation: a NUL in the query (koongo.middleware)
        if "{" in self.path or self._get_paginator():
            codes.append("404")  # an unknown id, or a cursor that is not one of ours (DRF answers "Invalid cursor")
        if self.method in UNSAFE_METHODS:
            codes += ["413", "415"]
        if self.method == "DELETE":
            codes.append("409")  # business records still refer to the object
        if self._is_idempotent_write():
            codes += ["409", "422"]
        codes = list(dict.fromkeys(codes))
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses or "content" not in responses[code]:
                description, schema = _ERRORS[code]
                responses[code] = {"description": description, "content": {"application/json": {"schema": schema}}}
        return responses


def _model_field_allows_blank(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False
