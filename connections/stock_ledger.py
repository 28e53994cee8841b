"""The stock ledger's marks in PostgreSQL (`StockChangeMark`), handed to store adapters as their `ledger_records`.

Platforms may not import models, so the adapter receives this object through `platforms.mechanics.LedgerRecords`.
"""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scope

from connections.models import StockChangeMark
from platforms.mechanics import LedgerState


class DatabaseLedgerRecords:
    """One merchant's stock-change marks; each write commits on its own (autocommit), like the remote call it records.

    Every query runs in that merchant's scope, whoever calls the adapter.
    """

    def __init__(self, merchant_id: int):
        self.merchant_id = merchant_id

    def _marks(self, namespace: str, key: str):
        return StockChangeMark.objects.filter(namespace=namespace, key=key)

    def state(self, namespace: str, key: str) -> LedgerState:
        with scope(merchant=self.merchant_id):
            state = self._marks(namespace, key).values_list("state", flat=True).first()
        return LedgerState(state) if state else LedgerState.NEW

    def mark(self, namespace: str, key: str, state: LedgerState) -> None:
        mark = StockChangeMark(merchant_id=self.merchant_id, namespace=namespace, key=key, state=str(state), updated_at=timezone.now())
        with scope(merchant=self.merchant_id):
            if state is LedgerState.DONE:
                StockChangeMark.objects.bulk_create(
                    [mark], update_conflicts=True, unique_fields=["merchant", "namespace", "key"], update_fields=["state", "updated_at"]
                )
            else:  # SENT never replaces DONE
                StockChangeMark.objects.bulk_create([mark], ignore_conflicts=True)

    def forget_sent(self, namespace: str, key: str) -> None:
        with scope(merchant=self.merchant_id):
            self._marks(namespace, key).filter(state=str(LedgerState.SENT)).delete()
