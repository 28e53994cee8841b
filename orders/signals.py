"""What orders tells the apps above it without importing them (the import contracts forbid that direction)."""

from django.dispatch import Signal

# Sent in the transaction that records store orders; `order_ids` are the orders that now exist in the store.
store_orders_recorded = Signal()
