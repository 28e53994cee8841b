"""The plans every installation starts with; seeded by a data migration and re-seeded by tests after a flush.

The names are marked for the catalogues (`gettext_noop`: stored in English, shown by `Plan.display_name`).
"""

from django.utils.translation import gettext_noop

PLANS = [
    {
        "code": "free",
        "name": gettext_noop("Free"),
        "order_sync": False,
        "rma": False,
        "refund_sync": False,
        "max_connections": 1,
        "orders_per_month": 0,
        "position": 1,
    },
    {
        "code": "starter",
        "name": gettext_noop("Starter"),
        "order_sync": True,
        "rma": False,
        "refund_sync": False,
        "max_connections": 1,
        "orders_per_month": 300,
        "position": 2,
    },
    {
        "code": "business",
        "name": gettext_noop("Business"),
        "order_sync": True,
        "rma": True,
        "refund_sync": True,
        "max_connections": 5,
        "orders_per_month": 2000,
        "position": 3,
    },
    {
        "code": "enterprise",
        "name": gettext_noop("Enterprise"),
        "order_sync": True,
        "rma": True,
        "refund_sync": True,
        "max_connections": 50,
        "orders_per_month": 0,
        "position": 4,
    },
]


def seed_plans(plan_model) -> dict:
    """Create or refresh the standard plans on `plan_model` (the real model, or a migration's historical one)."""
    return {spec["code"]: plan_model.objects.update_or_create(code=spec["code"], defaults=spec)[0] for spec in PLANS}
