"""Dashboard URLs for webhooks, under Settings, in the `webhooks` namespace."""

from django.urls import path

from webhooks import views

dashboard_urlpatterns = [
    path("settings/webhooks/", views.endpoint_list, name="list"),
    path("settings/webhooks/<int:pk>/", views.endpoint_detail, name="detail"),
    path("settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/", views.delivery_resend, name="resend"),
    path("settings/webhooks/<int:pk>/<slug:action>/", views.endpoint_action, name="action"),
]
