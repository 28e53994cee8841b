"""Seed the plans: Free (no order sync), Business (order sync, RMA, refund sync) and Enterprise."""

from django.db import migrations


def seed(apps, schema_editor):
    from koongo.accounts.plans import seed_plans

    seed_plans(apps.get_model("accounts", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
