"""Dashboard URLs for connections (mounted under the `connections` namespace) and the store webhook receivers."""

from django.urls import path

from connections import shopify_install, views, views_archive, views_store, webhooks
from connections.sync.urls import sync_urlpatterns

dashboard_urlpatterns = [
    *sync_urlpatterns,  # first: `connections/<pk>/sync/` must win over the generic action pattern
    path("connections/", views.connection_list, name="list"),
    path("connections/add/", views.connection_add, name="add"),
    path("connections/<int:pk>/", views.connection_detail, name="detail"),
    path("connections/<int:pk>/configuration/", views.configuration_update, name="configuration"),
    path("connections/<int:pk>/archive/", views_archive.connection_archive, name="archive"),
    path("connections/<int:pk>/restore/", views_archive.connection_restore, name="restore"),
    path("connections/<int:pk>/<slug:action>/", views.connection_action, name="action"),
    path("stores/add/", views_store.store_add, name="store-add"),
    path("stores/<int:pk>/", views_store.store_detail, name="store-detail"),
    path("stores/<int:pk>/test/", views_store.store_test, name="store-test"),
    path("stores/<int:pk>/archive/", views_archive.store_archive, name="store-archive"),
    path("stores/<int:pk>/restore/", views_archive.store_restore, name="store-restore"),
    path("stores/shopify/install/", shopify_install.start_view, name="shopify-install"),
    path("stores/shopify/callback/", shopify_install.callback_view, name="shopify-callback"),
    path("webhooks/shopify/", webhooks.receive, {"platform": "shopify"}, name="shopify-webhook"),
    path("webhooks/<slug:platform>/<int:pk>/", webhooks.receive, name="store-webhook"),
]
