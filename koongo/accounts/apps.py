"""Accounts: merchants (tenants), users and roles, plans, API keys."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "koongo.accounts"
    label = "accounts"
    verbose_name = _("Accounts and tenancy")

    def ready(self):
        from koongo.accounts import language, schema  # noqa: F401  the login signal's receiver; the OpenAPI auth extension
