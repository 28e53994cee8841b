"""Dashboard URLs of the catalog (mounted under the `catalog` namespace) and the feed Miinto pulls."""

from django.urls import path

from catalog import views, views_feed

dashboard_urlpatterns = [
    path("catalog/", views.catalog_index, name="index"),
    path("catalog/connections/<int:pk>/products/", views.connection_products, name="products"),
    path("catalog/connections/<int:pk>/sync/<slug:flow>/", views.connection_sync, name="sync"),
    path("catalog/connections/<int:pk>/feed-credentials/", views.feed_credentials, name="feed-credentials"),
    path("catalog/connections/<int:pk>/stock-settings/", views.stock_settings, name="stock-settings"),
    path("catalog/products/<int:pk>/", views.product_detail, name="product"),
    # The fixed URL Miinto pulls (no date in the name, §12.1); HTTP Basic Auth, not a session.
    path("feeds/miinto/<str:token>.tsv", views_feed.feed, name="feed"),
]
