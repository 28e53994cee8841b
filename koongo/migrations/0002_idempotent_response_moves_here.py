"""IdempotentResponse moves here from `connections`, so every app's API can use it: state only, the table stays.

Its table `connections_idempotentresponse` (created by connections 0001) keeps its name and its rows; no SQL runs.
connections 0014 removes the model from that app's state after this one adds it here.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_invitations_and_owner_api_keys'),
        ('koongo', '0001_cache_table'),
        ('connections', '0013_stale_connections'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='IdempotentResponse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200)),
                        ('method', models.CharField(max_length=10)),
                        ('path', models.CharField(max_length=500)),
                        ('request_hash', models.CharField(db_default='', default='', help_text="SHA-256 of the request's canonical body.", max_length=64)),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, help_text='Empty while the first request runs.', null=True)),
                        ('body', models.JSONField(null=True)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('merchant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.merchant')),
                    ],
                    options={
                        'db_table': 'connections_idempotentresponse',
                        'constraints': [models.UniqueConstraint(fields=('merchant', 'key'), name='idempotency_key_once_per_merchant')],
                    },
                ),
            ],
        ),
    ]
