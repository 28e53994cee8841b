"""Merchants (the tenants), plans, memberships with roles, API keys and plan-upgrade requests."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from koongo.accounts.tenancy import TenantModel

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz and not tz.startswith("Etc/")]


class Feature(models.TextChoices):
    ORDER_SYNC = "order_sync", _("Order sync")
    RMA = "rma", _("RMA")
    REFUND_SYNC = "refund_sync", _("Refund sync")


class Plan(models.Model):
    """What a merchant may use: feature flags, connections allowed and orders per month."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    order_sync = models.BooleanField(default=False)
    rma = models.BooleanField(default=False)
    refund_sync = models.BooleanField(default=False)
    max_connections = models.PositiveIntegerField(default=1)
    orders_per_month = models.PositiveIntegerField(default=0, help_text=_("0 means unlimited"))
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order on the plan page"))

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the reader's language: the seeded names (plans.py) are in the catalogues; a typed one shows as is."""
        return gettext(self.name)

    def allows(self, feature: str) -> bool:
        if feature not in Feature.values:
            raise ValueError(f"unknown feature {feature!r}")
        return bool(getattr(self, feature))


class Merchant(models.Model):
    """The tenant: one company with its users, plan, connections and data."""

    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="Europe/Copenhagen", choices=TIMEZONE_CHOICES)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="merchants")
    created_at = models.DateTimeField(default=dj_timezone.now)
    # Quota warnings already sent this month, so each threshold e-mails once: "YYYY-MM:80", "YYYY-MM:100".
    quota_notices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    STAFF = "staff", _("Staff")
    VIEWER = "viewer", _("Viewer")


WRITE_ROLES = frozenset({Role.OWNER, Role.STAFF})


class Membership(models.Model):
    """A user's role in one merchant; a user may belong to several merchants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "merchant"], name="one_membership_per_user_and_merchant")]
        ordering = ["merchant__name"]

    def __str__(self):
        return f"{self.user} @ {self.merchant} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES


class ApiKeyRole(models.TextChoices):
    # Owner keys exist so an integrator can manage members and keys through the API, as an owner can in the dashboard.
    OWNER = "owner", _("Owner (everything, members and keys too)")
    STAFF = "staff", _("Staff (read and write)")
    VIEWER = "viewer", _("Viewer (read only)")


class MerchantApiKey(AbstractAPIKey):
    """A hashed API key bound to one merchant with a role; deliberately not scoped (it is how scope is found)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    role = models.CharField(max_length=10, choices=ApiKeyRole.choices, default=ApiKeyRole.VIEWER)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES


class Invitation(TenantModel):
    """An e-mail invitation to join a merchant with a role; its link is signed and expires (`invitations.py`)."""

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    invited_by_label = models.CharField(max_length=200, blank=True, help_text=_("Who sent it: a user or an API key"))
    created_at = models.DateTimeField(default=dj_timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open invitation per address and merchant: inviting again re-sends it instead.
            models.UniqueConstraint(
                fields=["merchant", "email"], condition=models.Q(accepted_at__isnull=True), name="one_open_invitation_per_email"
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.merchant} ({self.role})"


class PlanChangeRequest(TenantModel):
    """A merchant's request for another plan; an admin applies it in Django admin."""

    requested_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class MonthlyUsage(TenantModel):
    """Orders counted per merchant and calendar month, for the plan's quota; sync never stops on it."""

    month = models.DateField(help_text=_("First day of the month"))
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "month"], name="one_usage_row_per_month")]
        ordering = ["-month"]


class UserPreference(models.Model):
    """What one user chose for themself, across every merchant they belong to: for now the dashboard's language."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    # A code of settings.LANGUAGES (checked by the form, not by choices, so adding a language needs no migration);
    # blank: the browser's Accept-Language decides.
    language = models.CharField(max_length=10, blank=True, default="")

    def __str__(self):
        return f"{self.user}: {self.language or 'browser language'}"
