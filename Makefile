# Two commands do everything on a fresh machine: `make demo` runs the product, `make test` tests it.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test install lint lock vendor-static messages clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Every package is pinned and hash-checked: a swapped or tampered download fails the install.
$(VENV)/.installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# The translations are compiled here with Babel (no GNU gettext needed); the .mo files are build output (README).
install: $(VENV)/.installed
	$(BIN)/python scripts/compile_messages.py

# Embedded defaults: SQLite and a filesystem broker; simulators stand in for Miinto and the store.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py rundemo

# ruff, then the import contracts of pyproject.toml ([tool.importlinter]): layers, independence, no cycles.
lint: install
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports

# The database is DATABASE_URL, else a local PostgreSQL on 127.0.0.1:5432, else SQLite (koongo/test_settings.py).
test: lint
	$(BIN)/pytest -n 2 --dist worksteal --create-db $(PYTEST_ARGS)

# The locks, from pyproject.toml: requirements.lock for the image, requirements-dev.lock adds the test tools.
# Existing pins are kept; `make lock UPGRADE=1` moves them to the newest releases.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: install
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml

# Refresh every language's catalogues (django.po, djangojs.po) from the marked strings: needs GNU gettext
# (apt-get install gettext). File names without line numbers, so moving code does not rewrite every catalogue;
# the catalogues are best refreshed once the branches that mark strings are merged (fewer conflicts in locale/).
LANGUAGES := en da sv nb nl pl de
MAKEMESSAGES = $(BIN)/python manage.py makemessages $(addprefix --locale=,$(LANGUAGES)) --no-obsolete --add-location=file \
	--ignore=tests --ignore=var --ignore=bench --ignore=scripts --ignore=deploy --ignore=test-artifacts --ignore=node_modules
messages: install
	$(MAKEMESSAGES) --domain=django
	$(MAKEMESSAGES) --domain=djangojs --ignore=koongo/static/vendor
	sed -i '/^"POT-Creation-Date: /d' locale/*/LC_MESSAGES/*.po  # a date in every file would make every merge conflict
	$(BIN)/python scripts/compile_messages.py

vendor-static:
	bash scripts/vendor_static.sh

clean:
	rm -rf $(VENV) var test-artifacts
