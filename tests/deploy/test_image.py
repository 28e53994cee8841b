"""The image: what its build context holds, its lint, and its static files under production settings."""

import os
import re
import subprocess
import sys
from pathlib import Path

from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[2]
# Files that must never reach a layer: the secrets file, local databases and the demo's key file.
SECRETS = [
    ".env",
    ".env.production",
    "deploy/.env",
    "var/db.sqlite3",
    "var/field-encryption.key",
    "var/media/labels/a.pdf",
    "koongo/local.sqlite3",
    "backup.sqlite3-wal",
    ".venv/bin/python",
    ".git/config",
    "test-artifacts/shot.png",
]
SOURCES = ["manage.py", "koongo/settings.py", "requirements.lock", "Dockerfile", "orders/models.py"]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_the_build_context_holds_no_secret_and_all_sources(tmp_path):
    for name in SECRETS + SOURCES:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    # docker-py's exclude_paths is the Docker CLI's own dockerignore matching, ported by Docker.
    context = set(exclude_paths(str(tmp_path), dockerignore_patterns()))
    assert sorted(name for name in SECRETS if name in context) == []
    assert sorted(name for name in SOURCES if name not in context) == []


def _runtime_stage() -> str:
    return (ROOT / "Dockerfile").read_text().split("\nFROM ")[-1]


def _image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's runtime stage, as the image sets it."""
    env_line = next(line for line in _runtime_stage().splitlines() if line.startswith("ENV "))
    return dict(pair.split("=", 1) for pair in env_line.split()[1:])


def _clean_env(**extra) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(extra)
    return env


def test_the_images_collectstatic_serves_the_dashboard_under_production_settings(tmp_path):
    image_env = _image_env()
    assert image_env["DJANGO_ENV"] == "prod"
    command = re.search(r"RUN (python manage\.py collectstatic[^&\n]*)", _runtime_stage()).group(1).split()
    # The build step: the image's environment and no secret at all.
    build_env = _clean_env(**{**image_env, "DATA_DIR": str(tmp_path)})
    built = subprocess.run([sys.executable, *command[1:]], cwd=ROOT, env=build_env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()

    render = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/login/', secure=True);"
        "print(r.status_code); print(r.content.decode())"
    )
    run_env = _clean_env(
        **{**image_env, "DATA_DIR": str(tmp_path)},
        DJANGO_SETTINGS_MODULE="koongo.settings",
        SECRET_KEY="k" * 50,
        FIELD_ENCRYPTION_KEYS="rhsQcz_Ubb37MXrqA6zfkzMq4tS4YaJP_AP0iYRACfE=",
        ALLOWED_HOSTS="testserver",
    )
    rendered = subprocess.run([sys.executable, "-c", render], cwd=ROOT, env=run_env, capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    status, _, html = rendered.stdout.partition("\n")
    assert status == "200"
    assert re.search(r'/static/vendor/bootstrap\.min\.[0-9a-f]{12}\.css', html)
