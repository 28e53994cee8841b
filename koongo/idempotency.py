"""`Idempotency-Key` for write endpoints: a key is bound to one request (merchant, method, path, body) for 24 h.

The key is claimed with an INSERT that the (merchant, key) unique constraint guards, before the view runs, so
two concurrent requests cannot both run: the second answers 409. A retry of the same request replays the first
answer; the same key with a different request answers 422, as Stripe does. An answer that holds a secret shown once
(a signing secret) is kept encrypted: the view calls `answer_holds_secret()`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from koongo.models import IdempotentResponse

KEY_HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 200
TTL = timedelta(hours=24)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _Answered(Exception):
    """Raised from `initial()` so the handler never runs when the key already has (or is getting) an answer."""

    def __init__(self, response: Response):
        self.response = response


def request_fingerprint(request) -> str:
    """SHA-256 of the request body in canonical form (sorted keys), so a re-serialised retry still matches."""
    data = request.data  # an unparsable body raises here and answers 400 before the key is claimed
    if hasattr(data, "lists"):  # a form QueryDict: every value of every key
        data = {key: values for key, values in data.lists()}
    try:
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        canonical = repr(data)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _refusal(message: str, code: str, status_code: int) -> Response:
    return Response({"detail": message, "code": code}, status=status_code)


class IdempotentWritesMixin:
    """For DRF views: an unsafe request carrying Idempotency-Key runs once; a retry answers the stored response."""

    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get(KEY_HEADER, "") if request.method in UNSAFE_METHODS else ""
        self._idempotency_key = key.strip()[:KEY_MAX_LENGTH]
        self._idempotency_record = None
        self._idempotency_sealed = False
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # Whatever happened (an unhandled error included), a claim that holds no answer is released.
            self._release_unanswered_claim()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotency_key and self.merchant is not None:
            self._claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, _Answered):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record = self._idempotency_record
        if record is not None and self._idempotency_key and 200 <= response.status_code < 300:
            record.status_code = response.status_code
            # Kept as the client read it: DRF's encoder writes dates, Decimals and lazy strings as the renderer does.
            answer = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.body, record.sealed_body = (None, answer) if self._idempotency_sealed else (answer, None)
            record.save(update_fields=["status_code", "body", "sealed_body"])
            self._idempotency_record = None  # answered: kept for replays
        return super().finalize_response(request, response, *args, **kwargs)

    def answer_holds_secret(self) -> None:
        """Keep this request's answer encrypted at rest: it holds a secret that is shown once (and to a retry)."""
        self._idempotency_sealed = True

    def _claim(self, request) -> None:
        """Insert the key's row, or raise `_Answered` with the replay, the 409 or the 422."""
        fingerprint = request_fingerprint(request)
        path = request.get_full_path()[:500]
        for _ in range(2):
            try:
                with transaction.atomic():
                    self._idempotency_record = IdempotentResponse.objects.create(
                        merchant=self.merchant, key=self._idempotency_key, method=request.method, path=path,
                        request_hash=fingerprint, status_code=None,
                    )
                return
            except IntegrityError:
                stored = IdempotentResponse.objects.filter(merchant=self.merchant, key=self._idempotency_key).first()
            if stored is None:
                continue  # released between our insert and our read: claim again
            if stored.created_at < timezone.now() - TTL:
                IdempotentResponse.objects.filter(pk=stored.pk, created_at=stored.created_at).delete()
                continue  # expired: the key is free again
            if (stored.method, stored.path, stored.request_hash) != (request.method, path, fingerprint):
                raise _Answered(_refusal(
                    f"This Idempotency-Key was already used for a different request ({stored.method} {stored.path}). "
                    "Send a new key for a new request.", "idempotency_key_reused", status.HTTP_422_UNPROCESSABLE_ENTITY,
                ))
            if stored.status_code is None:
                raise _Answered(_refusal(
                    "A request with this Idempotency-Key is still being processed. Retry once it has answered.",
                    "idempotency_key_in_use", status.HTTP_409_CONFLICT,
                ))
            raise _Answered(Response(stored.answer, status=stored.status_code, headers={"Idempotent-Replay": "true"}))
        raise _Answered(_refusal("This Idempotency-Key could not be claimed; retry.", "idempotency_key_in_use", status.HTTP_409_CONFLICT))

    def _release_unanswered_claim(self) -> None:
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            # After the response, outside the merchant scope: the row is addressed by its own id and merchant.
            IdempotentResponse._base_manager.filter(pk=record.pk, merchant_id=record.merchant_id, status_code__isnull=True).delete()
