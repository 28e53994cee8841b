from django.db import migrations, models

from koongo.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction; the table stays writable meanwhile

    dependencies = [
        ("orders", "0006_read_path_indexes"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="order",
            index=models.Index(fields=["merchant", "status", "-id", "created_at"], name="order_api_status_idx"),
        ),
    ]
