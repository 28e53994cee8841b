"""Connections: Miinto and store connections, order configuration, and the shared sync machinery."""

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Connections and sync"
