"""Dashboard URLs for shipments, comments, label links (with the public capability URL) and carrier mappings."""

from django.urls import path, re_path

from orders.shipments import views

shipment_urlpatterns = [
    path("orders/by-id/<int:order_pk>/ship/", views.shipment_mark_view, name="order-ship"),
    path("orders/by-id/<int:order_pk>/comments/", views.comment_add_view, name="order-comment"),
    path("labels/<int:pk>/revoke/", views.label_revoke_view, name="label-revoke"),
    # The capability URL: only tokens of the shape we issue reach the view; anything else is the same 404.
    re_path(r"^labels/(?P<token>[A-Za-z0-9_-]{43})\.pdf$", views.label_download, name="label-download"),
    path("carriers/", views.carrier_mappings_index, name="carrier-mappings"),
    path("carriers/<int:connection_pk>/", views.carrier_mappings_view, name="carrier-mappings-connection"),
    path("carriers/mappings/<int:pk>/delete/", views.carrier_mapping_delete_view, name="carrier-mapping-delete"),
]
