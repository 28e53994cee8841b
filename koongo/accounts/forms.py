"""Dashboard forms for accounts: sign-up, rate-limited login, API keys, members, plan requests."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from koongo.accounts.models import TIMEZONE_CHOICES, ApiKeyRole, Plan, Role


class RateLimitedLoginForm(AuthenticationForm):
    """Django's login form; django-axes (settings.AXES_*) counts its failures per IP and username and locks out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "too_many": _("Too many failed sign-in attempts. Wait %(minutes)s minutes and try again."),
    }


class SignupForm(forms.Form):
    company = forms.CharField(max_length=200, label=_("Company name"))
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    # The zones are identifiers (data): the browser must not translate the ~400 options; the label is ours.
    timezone = forms.ChoiceField(
        label=_("Timezone"), choices=TIMEZONE_CHOICES, initial="Europe/Copenhagen", widget=forms.Select(attrs={"translate": "no"})
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if get_user_model().objects.filter(username=email).exists():
            raise forms.ValidationError(_("An account with this e-mail already exists. Sign in instead."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("email"):
            user = get_user_model()(username=data["email"], email=data["email"])
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    role = forms.ChoiceField(label=_("Role"), choices=ApiKeyRole.choices, initial=ApiKeyRole.VIEWER)


def _language_choices():
    """Each language in its own name ("Dansk"), which a reader finds whatever the page's language."""
    names = [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]
    return [("", _("My browser's language")), *((code, name[:1].upper() + name[1:]) for code, name in names)]


class LanguageForm(forms.Form):
    """The signed-in user's dashboard language; blank leaves it to the browser (Accept-Language)."""

    language = forms.ChoiceField(
        choices=_language_choices,
        required=False,
        label=_("Language"),
        # The names are each language's own and stay so: no page translator should turn "Dansk" into "Danish".
        widget=forms.Select(attrs={"translate": "no"}),
    )


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), help_text=_("We e-mail them a link to join, valid for 7 days."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    """A new member's password, checked by the password validators against their e-mail address."""

    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, get_user_model()(username=self.email, email=self.email))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class PlanChoiceField(forms.ModelChoiceField):
    """Plans offered by their name in the reader's language."""

    def label_from_instance(self, obj):
        return obj.display_name


class PlanRequestForm(forms.Form):
    plan = PlanChoiceField(label=_("Plan"), queryset=Plan.objects.none())
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, current_plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per instance, never in the class body (a class-body queryset is evaluated at import time).
        queryset = Plan.objects.all()
        if current_plan is not None:
            queryset = queryset.exclude(pk=current_plan.pk)
        self.fields["plan"].queryset = queryset
