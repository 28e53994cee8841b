"""Dashboard forms for accounts: sign-up, rate-limited login, API keys, members, plan requests."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from koongo.accounts.models import TIMEZONE_CHOICES, ApiKeyRole, Plan, Role


class RateLimitedLoginForm(AuthenticationForm):
    """Django's login form; django-axes (settings.AXES_*) counts its failures per IP and username and locks out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "too_many": "Too many failed sign-in attempts. Wait %(minutes)s minutes and try again.",
    }


class SignupForm(forms.Form):
    company = forms.CharField(max_length=200, label="Company name")
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, initial="Europe/Copenhagen")

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if get_user_model().objects.filter(username=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists. Sign in instead.")
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
    name = forms.CharField(max_length=50)
    role = forms.ChoiceField(choices=ApiKeyRole.choices, initial=ApiKeyRole.VIEWER)


class MemberInviteForm(forms.Form):
    email = forms.EmailField(help_text="The user must already have an account.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STAFF)

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        user = get_user_model().objects.filter(username=email).first()
        if user is None:
            raise forms.ValidationError("No user with this e-mail. Ask them to sign up first.")
        self.user = user
        return email


class PlanRequestForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none())
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, current_plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per instance, never in the class body (a class-body queryset is evaluated at import time).
        queryset = Plan.objects.all()
        if current_plan is not None:
            queryset = queryset.exclude(pk=current_plan.pk)
        self.fields["plan"].queryset = queryset
