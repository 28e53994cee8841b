"""The restore drill: back up the database and the label storage, restore both fresh, and run on the copy.

The commands are the README's Backups section: pg_dump -Fc, a copy of the label storage, createdb + pg_restore,
then `manage.py check_encryption_keys` with the same keys. A wrong key set is refused, naming the key problem.
"""

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.db import connections

from connections.models import StoreConnection
from koongo.accounts.tenancy import merchant_scope
from orders.models import LabelLink, Order
from tests.orders.conftest import GTIN_TEE_M
from tests.orders.shipments.shipping import accepted_order, run

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


def _pg_url(name: str) -> str:
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _sh(*command: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env})


def _manage(*args: str, database: str, keys: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    """The project as an operator runs it, pointed at `database` with `keys`."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.update(DATABASE_URL=_pg_url(database), FIELD_ENCRYPTION_KEYS=",".join(keys), DATA_DIR=str(data_dir), DJANGO_ENV="dev")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, env=env)


@contextmanager
def _pointed_at(name: str):
    """This process's default connection on another database, as after a restore; back afterwards."""
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@pytest.fixture
def label_storage(settings, tmp_path):
    live = tmp_path / "media-live"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(live)}}}
    return live


def test_a_backup_restores_and_runs(transactional_db, world, label_storage, tmp_path, client, settings):
    # The live system: encrypted store credentials, a synced order, a fetched label.
    order = accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        link = LabelLink.objects.select_related("label").get()
        token, pdf = link.token, link.label.file.open("rb").read()
        credentials = StoreConnection.objects.get().credentials
    live_db = connections["default"].settings_dict["NAME"]
    restored_db = f"{live_db}_restored_{uuid.uuid4().hex[:6]}"

    # Back up: the database in pg_dump's custom format, and the label storage beside it.
    dump = tmp_path / "koongo.dump"
    backed_up = _sh("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _pg_url(live_db))
    assert backed_up.returncode == 0, backed_up.stderr
    shutil.copytree(label_storage, tmp_path / "backup-media")
    print(f"\ndrill: pg_dump -Fc wrote {dump.stat().st_size} bytes; label storage copied "
          f"({sum(1 for p in (tmp_path / 'backup-media').rglob('*') if p.is_file())} file)")

    # Restore into a fresh database and a fresh storage.
    assert _sh("createdb", "-h", "127.0.0.1", "-U", "postgres", restored_db).returncode == 0
    try:
        restored = _sh("pg_restore", "--no-owner", f"--dbname={_pg_url(restored_db)}", str(dump))
        assert restored.returncode == 0, restored.stderr
        restored_media = tmp_path / "media-restored"
        shutil.copytree(tmp_path / "backup-media", restored_media)
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                              "OPTIONS": {"location": str(restored_media)}}}
        keys = list(django_settings.FIELD_ENCRYPTION_KEYS)

        # The project with the same keys decrypts every secret of the copy.
        checked = _manage("check_encryption_keys", database=restored_db, keys=keys, data_dir=tmp_path / "ops")
        assert checked.returncode == 0, checked.stderr
        assert "decrypts all" in checked.stdout
        print(f"drill: restored into {restored_db}; check_encryption_keys: {checked.stdout.strip()}")

        # With a wrong key set it refuses, naming the key problem; readiness says the same.
        wrong = _manage("check_encryption_keys", database=restored_db, keys=[Fernet.generate_key().decode()],
                        data_dir=tmp_path / "ops")
        assert wrong.returncode == 1
        assert "FIELD_ENCRYPTION_KEYS cannot decrypt" in wrong.stderr
        assert "connections.StoreConnection.credentials (1 of 1)" in wrong.stderr
        print(f"drill: with a wrong key set (exit {wrong.returncode}): {wrong.stderr.strip().splitlines()[-1]}")

        with _pointed_at(restored_db):
            with merchant_scope(world.merchant):
                assert StoreConnection.objects.get().credentials == credentials
            # The label link written into the store's order note still serves the same PDF.
            response = client.get(f"/labels/{token}.pdf")
            assert response.status_code == 200
            assert response.content == pdf
            # And one more sync against the simulators completes on the copy.
            world.offer((GTIN_TEE_M, 10000, 1))
            world.sync()
            with merchant_scope(world.merchant):
                assert Order.objects.count() == 2
                synced = Order.objects.exclude(pk=order.pk).get()
                assert synced.store_order_id
            print(f"drill: label link served {len(response.content)} bytes from the copy; one more sync put Miinto order "
                  f"{synced.miinto_id} into the store as {synced.store_order_id}")

            settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert "FIELD_ENCRYPTION_KEYS cannot decrypt" in ready.json()["failing"]["encryption_keys"]
    finally:
        _sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", restored_db)
