"""Root URLs: dashboard, REST API and its schema, admin, health."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from koongo import views
from koongo.api import MeView
from koongo.observability.views import metrics_view
from koongo.registry import api_routes, dashboard_urls

router = DefaultRouter()
for prefix, viewset, basename in api_routes():
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    # The API first: Django tries the patterns in order, and the dashboard's empty-prefix includes below hold a hundred
    # patterns that every API request would otherwise be matched against (and listed in its "tried" trail) first.
    path("api/v1/me", MeView.as_view(), name="api-me"),
    path("api/v1/", include(router.urls)),
    path("", views.overview, name="overview"),
    path("", include("koongo.accounts.urls")),
    *dashboard_urls(),
    path("admin/", admin.site.urls),
    # The JavaScript strings' catalogue (djangojs domain) as a script file, which the CSP's script-src 'self' allows.
    # Not cached: one URL answers in each user's language, and a saved choice must apply on the next page.
    path("jsi18n/", JavaScriptCatalog.as_view(domain="djangojs"), name="javascript-catalog"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"), name="api-docs"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler404 = "koongo.views.error_404"
handler500 = "koongo.views.error_500"
