# Two commands do everything on a fresh machine: `make demo` runs the product, `make test` tests it.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test install lint lock vendor-static clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Every package is pinned and hash-checked: a swapped or tampered download fails the install.
$(VENV)/.installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

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
	$(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

# The locks, from pyproject.toml: requirements.lock for the image, requirements-dev.lock adds the test tools.
# Existing pins are kept; `make lock UPGRADE=1` moves them to the newest releases.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: install
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml

vendor-static:
	bash scripts/vendor_static.sh

clean:
	rm -rf $(VENV) var test-artifacts
