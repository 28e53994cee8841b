"""Dashboard URLs of the connections app, mounted by koongo.registry under the `connections` namespace."""

from connections.urls_sync import sync_urlpatterns

dashboard_urlpatterns = [*sync_urlpatterns]
