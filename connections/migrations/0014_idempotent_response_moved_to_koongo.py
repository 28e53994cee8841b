"""IdempotentResponse now belongs to `koongo` (koongo 0002): drop it from this app's state only; the table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0013_stale_connections'),
        ('koongo', '0002_idempotent_response_moves_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='IdempotentResponse')],
        ),
    ]
