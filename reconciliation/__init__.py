"""Reconciliation: compare Miinto, our records and the store for a period, keep typed findings per run, fix through the outbox."""
