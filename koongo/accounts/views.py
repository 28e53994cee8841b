"""Dashboard views for accounts: sign-up, login, merchant switcher, API keys and the plan page (the team: views_team)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koongo.accounts import language, selectors, services, team
from koongo.accounts.decorators import merchant_required, write_required
from koongo.accounts.forms import ApiKeyForm, LanguageForm, PlanRequestForm, RateLimitedLoginForm, SignupForm
from koongo.accounts.middleware import SESSION_MERCHANT_KEY
from koongo.accounts.models import Role
from koongo.accounts.roles import PermissionDenied


class LoginView(auth_views.LoginView):
    form_class = RateLimitedLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, merchant = services.merchant_signup(
            email=data["email"], password=data["password"], company=data["company"], timezone_name=data["timezone"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_MERCHANT_KEY] = merchant.pk
        messages.success(
            request,
            _("Welcome! %(merchant)s is on the %(plan)s plan.") % {"merchant": merchant.name, "plan": merchant.plan.display_name},
        )
        return redirect("overview")
    return render(request, "accounts/signup.html", {"form": form})


@merchant_required
@require_POST
def switch_merchant(request):
    membership = get_object_or_404(selectors.memberships_for(request.user), merchant_id=request.POST.get("merchant"))
    request.session[SESSION_MERCHANT_KEY] = membership.merchant_id
    target = request.POST.get("next") or reverse("overview")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("overview")
    return redirect(target)


@write_required
def settings_page(request):
    """API keys: every writer sees them (prefix only); owners create (shown once) and revoke. Members are on the team page.

    The user's own language is here too; it is saved by `settings_language`, which viewers may use as well.
    """
    merchant = request.merchant
    key_form = ApiKeyForm(prefix="key")
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create_key":
                key_form = ApiKeyForm(request.POST, prefix="key")
                if key_form.is_valid():
                    _key, new_key = team.api_key_issue(merchant=merchant, actor=request.membership, **key_form.cleaned_data)
                    messages.success(request, _("API key created. Copy it now: it is shown only once."))
            elif action == "revoke_key":
                key = get_object_or_404(selectors.api_keys_for(merchant), pk=request.POST.get("key_id", ""))
                team.api_key_withdraw(merchant=merchant, actor=request.membership, key=key)
                messages.success(request, _("API key revoked."))
                return redirect("settings")
        except PermissionDenied:
            messages.error(request, _("Only an owner can create or revoke API keys."))
    context = {
        "key_form": key_form,
        "language_form": LanguageForm(initial={"language": language.saved_language(request.user)}),
        "new_key": new_key,
        "api_keys": selectors.api_keys_for(merchant),
        "is_owner": request.membership.role == Role.OWNER,
    }
    return render(request, "accounts/settings.html", context)


@login_required
@require_POST
def settings_language(request):
    """Saves the user's dashboard language (every member may, viewers too: it is theirs, not the merchant's)."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages offered."))
        return redirect("settings")
    chosen = form.cleaned_data["language"]
    language.save_language(request.user, chosen, session=request.session)
    # Confirmed in the language just chosen, as the next page will be.
    with translation.override(chosen or translation.get_language_from_request(request)):
        messages.success(request, _("Language saved."))
    return redirect("settings")


@merchant_required
def plan_page(request):
    merchant = request.merchant
    form = PlanRequestForm(request.POST or None, current_plan=merchant.plan)
    if request.method == "POST":
        if not request.membership.can_write:
            messages.error(request, _("Viewers cannot request plan changes."))
        elif form.is_valid():
            services.plan_change_request(merchant=merchant, user=request.user, **form.cleaned_data)
            messages.success(request, _("Your request was sent. An administrator will change your plan shortly."))
            return redirect("plan")
    context = {
        "form": form,
        "plans": selectors.plans(),
        "used": services.usage_this_month(merchant),
    }
    return render(request, "accounts/plan.html", context)
