"""Accounts: merchants (tenants), users and roles, plans, API keys."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "koongo.accounts"
    label = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self):
        from koongo.accounts import language, schema  # noqa: F401  the login signal's receiver; the OpenAPI auth extension
