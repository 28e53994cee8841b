"""Dashboard URLs for orders, mounted under the `orders` namespace."""

from django.urls import path

from orders import views

dashboard_urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/needs-attention/", views.needs_attention, name="needs-attention"),
    path("orders/<int:pk>/", views.order_detail, name="detail"),
    path("orders/<int:pk>/pushes/", views.transfer_pushes, name="pushes"),
    path("positions/<int:pk>/<slug:outcome>/", views.position_action, name="position-action"),
]

from orders.shipments.urls import shipment_urlpatterns  # noqa: E402

dashboard_urlpatterns += shipment_urlpatterns
