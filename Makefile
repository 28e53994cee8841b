# Two commands do everything on a fresh machine: `make demo` runs the product, `make test` tests it.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test install lint vendor-static clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Embedded defaults: SQLite and a filesystem broker; simulators stand in for Miinto and the store.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py rundemo

# ruff, then the import contracts of pyproject.toml ([tool.importlinter]): layers, independence, no cycles.
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The database is DATABASE_URL, else a local PostgreSQL on 127.0.0.1:5432, else SQLite (koongo/test_settings.py).
test: lint
	$(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

vendor-static:
	bash scripts/vendor_static.sh

clean:
	rm -rf $(VENV) var test-artifacts
