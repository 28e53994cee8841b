"""Dashboard URLs of the sync machinery; the connections URLconf includes them under the `connections` namespace."""

from django.urls import path

from connections.sync import views as views_sync

sync_urlpatterns = [
    path("connections/<int:pk>/sync/", views_sync.connection_sync, name="connection-sync"),
    path("runs/<int:pk>/", views_sync.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", views_sync.run_progress, name="run-progress"),
    path("problems/", views_sync.problem_list, name="problems"),
    path("problems/retry-all/", views_sync.problems_retry_all, name="problems-retry-all"),
    path("problems/<int:pk>/<str:action>/", views_sync.problem_action, name="problem-action"),
    path("activity/", views_sync.activity_list, name="activity"),
]
