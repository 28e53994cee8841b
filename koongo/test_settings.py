"""Test settings: the database is DATABASE_URL, else a local PostgreSQL on 127.0.0.1:5432, else SQLite; Redis is
REDIS_URL, else a local Redis on 127.0.0.1:6379 (database 15), else the database cache, as in the demo."""

import os
import socket
import uuid

os.environ.setdefault("DJANGO_ENV", "test")


def _local_port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


if not os.environ.get("DATABASE_URL") and os.environ.get("KOONGO_TEST_SQLITE") != "1" and _local_port_answers(5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/koongo"
# The same choice for Redis, so `make test` on a machine with both measures what CI measures (locks and rate limiters
# on the database cache cost queries that the query-count tests would count).
if "REDIS_URL" not in os.environ and os.environ.get("KOONGO_TEST_SQLITE") != "1" and _local_port_answers(6379):
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"

from koongo.settings import *  # noqa: E402,F403
from koongo.settings import CACHES, DATA_DIR, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = str(DATA_DIR / "test.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.sqlite3")}

# Each test process gets its own key space, so parallel runs against one Redis never share locks or buckets.
COORDINATION_PREFIX = f"test-{uuid.uuid4().hex[:8]}"
CACHES["default"]["KEY_PREFIX"] = COORDINATION_PREFIX
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
FIELD_ENCRYPTION_KEYS = ["rhsQcz_Ubb37MXrqA6zfkzMq4tS4YaJP_AP0iYRACfE="]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# django_migration_linter: tests/deploy checks every migration is safe under traffic (a dev-only package).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp", "django_migration_linter"]  # noqa: F405
