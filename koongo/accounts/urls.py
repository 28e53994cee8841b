"""URLs for sign-up, login, logout, the merchant switcher, settings and the plan page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from koongo.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("switch/", views.switch_merchant, name="switch-merchant"),
    path("settings/", views.settings_page, name="settings"),
    path("plan/", views.plan_page, name="plan"),
]
