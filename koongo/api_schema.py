"""The OpenAPI schema's house rules, so it says what the API really answers.

Every operation lists the error answers it can give (400 field errors, 401/403, 404 for an object id, 409/422
for an Idempotency-Key, 413 for a body over the limit); unsafe methods of idempotent views document the header;
only `list` actions are paginated (a custom action that answers a list answers a plain array).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
# A 400 names the fields at fault (each with its messages), or carries `detail` for a body that is not valid JSON.
_FIELD_ERRORS = {"type": "object", "additionalProperties": True, "description": "Field name → messages, or `detail`."}

_ERRORS = {
    "400": ("Invalid input: field-level messages.", _FIELD_ERRORS),
    "401": ("No valid API key or session.", _DETAIL),
    "403": ("The key's or member's role may not do this.", _DETAIL),
    "404": ("No such object for this merchant.", _DETAIL),
    "409": ("Conflict: the Idempotency-Key is in use by a request still running, or the state forbids it.", _DETAIL),
    "413": ("The request body is over the size limit.", _DETAIL),
    "422": ("The Idempotency-Key was already used for a different request.", _DETAIL),
}


class KoongoAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers and the Idempotency-Key header."""

    def _is_idempotent_write(self) -> bool:
        from connections.idempotency import IdempotentWritesMixin

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

    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        if self.method in UNSAFE_METHODS or self._get_filter_parameters():
            codes.append("400")
        if "{" in self.path:
            codes.append("404")
        if self.method in UNSAFE_METHODS:
            codes.append("413")
        if self._is_idempotent_write():
            codes += ["409", "422"]
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
