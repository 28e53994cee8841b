"""Dashboard URLs for RMAs and refunds, mounted under the `rma` namespace."""

from django.urls import path

from rma import views

dashboard_urlpatterns = [
    path("rmas/", views.rma_list, name="list"),
    path("rmas/needs-attention/", views.needs_attention, name="needs-attention"),
    path("rmas/e-mails/", views.digest_preference, name="digest"),
    path("rmas/<int:pk>/", views.rma_detail, name="detail"),
    path("rmas/<int:pk>/refund-done/", views.rma_refund_done, name="refund-done"),
    path("rmas/<int:pk>/<slug:outcome>/", views.rma_decision, name="decide"),
    path("rmas/settings/<int:pk>/", views.connection_settings, name="settings"),
    path("refunds/<int:pk>/", views.store_refund_detail, name="store-refund"),
    path("refunds/<int:pk>/<slug:action>/", views.store_refund_action, name="store-refund-action"),
    path("rma-requests/<int:pk>/done/", views.rma_request_done, name="request-done"),
    path("orders/<int:order_pk>/rma-request/", views.order_rma_request, name="order-request"),
]
