from django.db import migrations, models

from koongo.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction; the table stays writable meanwhile

    dependencies = [
        ("connections", "0015_failed_run_retry"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="problem",
            index=models.Index(condition=models.Q(("state", "open")), fields=["connection"], name="problem_open_connection_idx"),
        ),
    ]
