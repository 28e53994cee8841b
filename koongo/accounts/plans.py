"""The plans every installation starts with; seeded by a data migration and re-seeded by tests after a flush."""

PLANS = [
    {
        "code": "free",
        "name": "Free",
        "order_sync": False,
        "rma": False,
        "refund_sync": False,
        "max_connections": 1,
        "orders_per_month": 0,
        "position": 1,
    },
    {
        "code": "starter",
        "name": "Starter",
        "order_sync": True,
        "rma": False,
        "refund_sync": False,
        "max_connections": 1,
        "orders_per_month": 300,
        "position": 2,
    },
    {
        "code": "business",
        "name": "Business",
        "order_sync": True,
        "rma": True,
        "refund_sync": True,
        "max_connections": 5,
        "orders_per_month": 2000,
        "position": 3,
    },
    {
        "code": "enterprise",
        "name": "Enterprise",
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
