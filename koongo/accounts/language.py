"""The dashboard's language: a signed-in user's saved choice, else the browser's Accept-Language, else English.

Django's LocaleMiddleware picks the Accept-Language one; `UserLanguageMiddleware` (after authentication) replaces it
with the user's saved preference. The preference is read once per session and kept there, so a page costs no query.
API-key requests carry no user (DRF authenticates the key later), so their language is Accept-Language's.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from koongo.accounts.models import UserPreference

SESSION_LANGUAGE_KEY = "koongo_language"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def saved_language(user) -> str:
    """The user's saved language code, "" when they left it to their browser (or it is no longer offered)."""
    language = UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
    return language if language in language_codes() else ""


def save_language(user, language: str, session=None) -> None:
    """Keep `language` ("" for the browser's) as the user's choice, and in `session` so it applies from the next page."""
    if language and language not in language_codes():
        raise ValueError(f"unknown language {language!r}")
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    if session is not None:
        session[SESSION_LANGUAGE_KEY] = language


@receiver(user_logged_in, dispatch_uid="koongo.accounts.language.remember_on_login")
def remember_on_login(sender, request, user, **kwargs):
    """Signing in reads the saved choice into the new session (login rotates the session, so it is never stale)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = saved_language(user)


class UserLanguageMiddleware:
    """Activates the signed-in user's saved language; without one, LocaleMiddleware's choice stands."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._preference(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

    @staticmethod
    def _preference(request) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        session = request.session
        if SESSION_LANGUAGE_KEY not in session:
            # A session older than this middleware (or one made without login()): read it once, then keep it.
            session[SESSION_LANGUAGE_KEY] = saved_language(user)
        language = session[SESSION_LANGUAGE_KEY]
        return language if language in language_codes() else ""
