"""Dashboard URLs for orders, mounted under the `orders` namespace."""

from django.urls import path

from orders import views, views_addresses, views_matching

dashboard_urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/needs-attention/", views.needs_attention, name="needs-attention"),
    path("orders/<int:pk>/", views.order_detail, name="detail"),
    path("orders/<int:pk>/pushes/", views.transfer_pushes, name="pushes"),
    path("positions/<int:pk>/<slug:outcome>/", views.position_action, name="position-action"),
    path("miinto-orders/<int:pk>/address/<slug:which>/", views_addresses.address_edit, name="address-edit"),
    path("orders/identification/<int:pk>/", views_matching.identification_check, name="identification-check"),
    path("orders/identification/<int:pk>/apply/", views_matching.identification_apply, name="identification-apply"),
]

from orders.shipments.urls import shipment_urlpatterns  # noqa: E402

dashboard_urlpatterns += shipment_urlpatterns
