"""Tenant scoping on django-scopes: the scoped base model and a `merchant_scope()` that refuses None.

`scope(merchant=None)` would filter nothing, so every entry point goes through `merchant_scope()`.
"""

from __future__ import annotations

import contextlib

from django.db import models
from django_scopes import ScopedManager, get_scope, scope


class NoMerchant(ValueError):
    """A tenant scope was requested without a merchant."""


@contextlib.contextmanager
def merchant_scope(merchant):
    """Enter the scope of one merchant; scoped queries outside it raise."""
    if merchant is None:
        raise NoMerchant("merchant_scope() needs a merchant; scope(merchant=None) would leak every tenant")
    with scope(merchant=merchant):
        yield merchant


def current_merchant():
    """The merchant whose scope is active, or None."""
    return get_scope().get("merchant")


class TenantModel(models.Model):
    """Base of every tenant-owned row: a merchant foreign key and a manager that refuses unscoped queries."""

    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(merchant="merchant")

    class Meta:
        abstract = True
