"""Dashboard URLs for reconciliation, mounted under the `reconciliation` namespace."""

from django.urls import path

from reconciliation import views

dashboard_urlpatterns = [
    path("reconciliation/", views.index, name="index"),
    path("reconciliation/start/", views.start, name="start"),
    path("reconciliation/runs/<int:pk>/", views.run_detail, name="run"),
    path("reconciliation/runs/<int:pk>/findings.csv", views.run_csv, name="csv"),
    path("reconciliation/findings/<int:pk>/fix/", views.finding_fix, name="fix"),
]
