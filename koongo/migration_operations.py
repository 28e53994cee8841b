"""Migration operations that build indexes on big tables without blocking writes, and fall back elsewhere.

`AddIndexConcurrently` is PostgreSQL-only and must run outside a transaction (the migration sets `atomic = False`);
the embedded SQLite database (the demo, some test runs) gets a plain CREATE INDEX, which is all SQLite has.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain AddIndex on any other database."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)

    def deconstruct(self):
        # Serialised under this class's own path, so the migration keeps the fallback.
        _, args, kwargs = super().deconstruct()
        return self.__class__.__name__, args, kwargs
