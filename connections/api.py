"""REST API of the connections app, picked up by koongo.registry."""

from connections.api_sync import sync_api_routes

api_routes = [*sync_api_routes]
