"""Hooks that django-axes calls for the login throttle: how a username is counted and what a locked-out user sees."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


def attempted_username(request, credentials) -> str:
    """Usernames are e-mail addresses, stored lower-case: `Owner@A.example` and `owner@a.example` count as one."""
    source = credentials if credentials else request.POST
    return str((source or {}).get("username") or "").strip().lower()


def locked_out(request, credentials, *args, **kwargs):
    """The login page again, with the form's own error, answered 429 so clients and monitors see the throttle."""
    from koongo.accounts.forms import RateLimitedLoginForm

    form = RateLimitedLoginForm(request, initial={"username": attempted_username(request, credentials)})
    minutes = max(1, settings.LOGIN_FAILURE_WINDOW // 60)
    message = RateLimitedLoginForm.error_messages["too_many"] % {"minutes": minutes}
    return render(request, "accounts/login.html", {"form": form, "throttled": message}, status=429)
