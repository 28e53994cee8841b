"""Seed the plans: Free (no order sync), Business (order sync, RMA, refund sync) and Enterprise."""

from django.db import migrations

PLANS = [
    {"code": "free", "name": "Free", "order_sync": False, "rma": False, "refund_sync": False, "max_connections": 1, "orders_per_month": 0, "position": 1},
    {"code": "starter", "name": "Starter", "order_sync": True, "rma": False, "refund_sync": False, "max_connections": 1, "orders_per_month": 300, "position": 2},
    {"code": "business", "name": "Business", "order_sync": True, "rma": True, "refund_sync": True, "max_connections": 5, "orders_per_month": 2000, "position": 3},
    {"code": "enterprise", "name": "Enterprise", "order_sync": True, "rma": True, "refund_sync": True, "max_connections": 50, "orders_per_month": 0, "position": 4},
]


def seed(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    for plan in PLANS:
        Plan.objects.update_or_create(code=plan["code"], defaults=plan)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
