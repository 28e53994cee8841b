"""`Idempotency-Key` for write endpoints: the first response is kept 24 h per merchant and replayed on a retry."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from connections.models import IdempotentResponse

KEY_HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)


class _Replay(Exception):
    """Raised from `initial()` so the handler never runs for a key already answered."""

    def __init__(self, stored: IdempotentResponse):
        self.stored = stored


class IdempotentWritesMixin:
    """For DRF views: a POST carrying Idempotency-Key answers the stored response if the key was seen before."""

    def dispatch(self, request, *args, **kwargs):
        self._idempotency_key = request.headers.get(KEY_HEADER, "")[:200] if request.method == "POST" else ""
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotency_key and self.merchant is not None:
            stored = IdempotentResponse.objects.filter(
                merchant=self.merchant, key=self._idempotency_key, created_at__gte=timezone.now() - TTL
            ).first()
            if stored is not None:
                raise _Replay(stored)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            self._idempotency_key = ""  # nothing new to remember
            return Response(exc.stored.body, status=exc.stored.status_code, headers={"Idempotent-Replay": "true"})
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._idempotency_key and self.merchant is not None and 200 <= response.status_code < 300:
            self._remember(request, response)
        return super().finalize_response(request, response, *args, **kwargs)

    def _remember(self, request, response) -> None:
        IdempotentResponse.objects.filter(
            merchant=self.merchant, key=self._idempotency_key, created_at__lt=timezone.now() - TTL
        ).delete()
        try:
            with transaction.atomic():
                IdempotentResponse.objects.create(
                    merchant=self.merchant,
                    key=self._idempotency_key,
                    method=request.method,
                    path=request.path[:500],
                    status_code=response.status_code,
                    body=response.data,
                )
        except IntegrityError:
            pass  # a concurrent first request stored it; both answers describe the same object
