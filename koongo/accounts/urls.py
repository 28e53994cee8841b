"""URLs for sign-up, login, logout, password reset, the merchant switcher, the team, settings and the plan page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from koongo.accounts import views, views_team

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("switch/", views.switch_merchant, name="switch-merchant"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/language/", views.settings_language, name="settings-language"),
    path("plan/", views.plan_page, name="plan"),
    path("team/", views_team.team_page, name="team"),
    path("team/invite/", views_team.member_invite, name="team-invite"),
    path("team/members/<int:pk>/role/", views_team.member_role, name="team-member-role"),
    path("team/members/<int:pk>/remove/", views_team.member_remove, name="team-member-remove"),
    path("team/invitations/<int:pk>/withdraw/", views_team.invitation_withdraw, name="team-invitation-withdraw"),
    path("invitations/<str:token>/", views_team.accept_invitation, name="accept-invitation"),
    path("password-reset/", views_team.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password-reset/<uidb64>/<token>/", views_team.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
