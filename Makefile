# The user's interface to the repository: make install | demo | test | bench | lint
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
PORT ?= 8000

.PHONY: install install-dev install-bench demo serve test lint format bench screenshots clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/python requirements/base.txt pyproject.toml
	$(PIP) install -r requirements/base.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(PIP) install -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed  ## venv + pinned dependencies + the project

install-dev: $(VENV)/.installed-dev  ## plus test and lint tools

$(VENV)/.installed-bench: $(VENV)/.installed-dev requirements/bench.txt
	$(PIP) install -r requirements/bench.txt
	touch $@

install-bench: $(VENV)/.installed-bench  ## plus the load-test tool (locust)

demo: install  ## migrate, load demo data, print the logins, serve on http://127.0.0.1:8000
	$(VENV)/bin/mesocare demo --port $(PORT)

serve: install
	$(VENV)/bin/mesocare serve --port $(PORT)

lint: install-dev  ## ruff, formatting, layer contracts, migrations in sync, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mesocare manage makemigrations --check --dry-run
	$(VENV)/bin/mypy mesocare

test: install-dev  ## lint, then the whole suite on SQLite and on PostgreSQL
	VENV=$(VENV) bash scripts/test.sh

screenshots: install-dev  ## refresh docs/screenshots/ from the browser suite
	MESOCARE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest tests/e2e -q

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-bench  ## benchmark scripts: print numbers and ratios (PostgreSQL when reachable)
	VENV=$(VENV) bash scripts/bench.sh

clean:
	rm -rf $(VENV) var/static
