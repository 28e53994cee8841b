"""Orders: transfers, positions, decisions, Miinto orders and their store pushes."""

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"
