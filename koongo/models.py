"""Storage every app's API shares, kept in the bottom layer so that any app may use it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from koongo.accounts.tenancy import TenantModel
from koongo.crypto import EncryptedJSONField


class IdempotentResponse(TenantModel):
    """A write API response kept for 24 h under the client's Idempotency-Key, so a retried request answers the same.

    The row is inserted before the request runs (the unique constraint makes a concurrent twin fail); `status_code`
    stays empty until the first request has answered. An answer that holds a secret is kept in `sealed_body`.
    """

    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64, default="", db_default="", help_text="SHA-256 of the request's canonical body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty while the first request runs.")
    body = models.JSONField(null=True)
    sealed_body = EncryptedJSONField(
        null=True, default=None, help_text="The answer, encrypted, when it holds a secret shown once (then `body` is empty)."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # Moved here from `connections` without moving its rows: the table keeps its name, so no SQL ran and code
        # of the previous release kept working during the deploy.
        db_table = "connections_idempotentresponse"
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_key_once_per_merchant")]

    @property
    def answer(self):
        """The stored response body, whichever column holds it."""
        return self.sealed_body if self.sealed_body is not None else self.body
