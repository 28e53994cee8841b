"""Dashboard views for accounts: sign-up, login, merchant switcher, members, API keys and the plan page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from koongo.accounts import selectors, services
from koongo.accounts.decorators import merchant_required, write_required
from koongo.accounts.forms import ApiKeyForm, MemberInviteForm, PlanRequestForm, RateLimitedLoginForm, SignupForm
from koongo.accounts.middleware import SESSION_MERCHANT_KEY
from koongo.accounts.models import Membership


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
        messages.success(request, f"Welcome! {merchant.name} is on the {merchant.plan.name} plan.")
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
    merchant = request.merchant
    key_form = ApiKeyForm(prefix="key")
    member_form = MemberInviteForm(prefix="member")
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create_key":
            key_form = ApiKeyForm(request.POST, prefix="key")
            if key_form.is_valid():
                _, new_key = services.api_key_create(merchant=merchant, **key_form.cleaned_data)
                messages.success(request, "API key created. Copy it now: it is shown only once.")
        elif action == "revoke_key":
            services.api_key_revoke(merchant=merchant, key_id=request.POST.get("key_id", ""))
            messages.success(request, "API key revoked.")
            return redirect("settings")
        elif action == "add_member":
            member_form = MemberInviteForm(request.POST, prefix="member")
            if member_form.is_valid():
                try:
                    services.membership_add(
                        merchant=merchant, actor=request.membership, user=member_form.user, role=member_form.cleaned_data["role"]
                    )
                    messages.success(request, f"{member_form.user.email} added.")
                    return redirect("settings")
                except services.PermissionDenied:
                    messages.error(request, "Only an owner can add members.")
                except IntegrityError:
                    member_form.add_error("email", "This user is already a member.")
    context = {
        "key_form": key_form,
        "member_form": member_form,
        "new_key": new_key,
        "api_keys": selectors.api_keys_for(merchant),
        "members": Membership.objects.filter(merchant=merchant).select_related("user"),
    }
    return render(request, "accounts/settings.html", context)


@merchant_required
def plan_page(request):
    merchant = request.merchant
    form = PlanRequestForm(request.POST or None, current_plan=merchant.plan)
    if request.method == "POST":
        if not request.membership.can_write:
            messages.error(request, "Viewers cannot request plan changes.")
        elif form.is_valid():
            services.plan_change_request(merchant=merchant, user=request.user, **form.cleaned_data)
            messages.success(request, "Your request was sent. An administrator will change your plan shortly.")
            return redirect("plan")
    context = {
        "form": form,
        "plans": selectors.plans(),
        "used": services.usage_this_month(merchant),
    }
    return render(request, "accounts/plan.html", context)
