# Hoering: `make run` serves the platform with demo content; `make test` runs the test suite;
# `make serve` runs the production set-up (gunicorn, the background worker, PostgreSQL, Redis).
# bash with pipefail: a failing command is not hidden by a filter after it in a pipe.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in mails point to where `make run` serves, unless SITE_URL is set in the
# environment or in instance/config.py.
SITE_URL_ENV = $(if $(shell grep -s '^SITE_URL' instance/config.py),,HOERING_SITE_URL=$${HOERING_SITE_URL:-http://$(HOST):$(PORT)})
CATALOGS := $(wildcard hoering/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

# The production set-up on this machine: gunicorn workers and the background worker (an RQ
# worker: the jobs go through Redis), on PostgreSQL and Redis (their URLs below; the
# database is created when missing).
SERVE_WORKERS ?= 2
SERVE_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/hoering
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
SERVE_ENV = HOERING_DATABASE_URL=$(SERVE_DATABASE_URL) HOERING_REDIS_URL=$(SERVE_REDIS_URL) \
	HOERING_RATELIMIT_STORAGE_URI=$(SERVE_REDIS_URL) HOERING_SEARCH_INDEX_INLINE=false HOERING_MAIL_SWEEP_SECONDS=0 \
	HOERING_EVENT_SWEEP_SECONDS=0

.PHONY: run serve test loadtest bench install install-dev axe translations extract-messages update-messages lint clean

run: install instance/config.py
	@echo "== Bringing the database schema up to date (instance/hoering.sqlite)"
	$(FLASK) db upgrade
	@echo "== Loading the demo municipality (first time: about a minute)"
	$(SITE_URL_ENV) $(FLASK) hoering demo
	@echo "Serving Hoering on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(SITE_URL_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

serve: install instance/config.py
	$(SERVE_ENV) $(FLASK) hoering create-database
	$(SERVE_ENV) $(FLASK) db upgrade
	@echo "Serving Hoering on http://$(HOST):$(PORT)/ with $(SERVE_WORKERS) gunicorn workers and the background worker (Ctrl+C stops them)"
	@$(SERVE_ENV) $(SITE_URL_ENV) $(FLASK) hoering worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(SERVE_ENV) $(SITE_URL_ENV) $(BIN)/gunicorn --config python:hoering.serving --workers $(SERVE_WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - --graceful-timeout 20 --control-socket instance/gunicorn.ctl wsgi:app

# Tests run on as many processes as the machine has cores (pytest-xdist; each its own database).
# The load test's small form (tests/test_loadtest.py) runs after them, alone and once: it
# brings its own PostgreSQL and Redis, so RUN_LOADTEST=no skips it in a second pass.
PYTEST_WORKERS ?= auto
RUN_LOADTEST ?= yes
test: install-dev
	$(BIN)/ruff check hoering tests bench
	@echo "== Running the test suite: about 3,000 tests, one process per core (PYTEST_WORKERS=$(PYTEST_WORKERS)); pytest"
	@echo "   prints a dot per test and the share done at the end of each line (about 11 minutes on 2 cores)"
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --ignore=tests/test_loadtest.py $(PYTEST_ARGS)
ifeq ($(RUN_LOADTEST),yes)
	$(BIN)/python -m pytest -p no:xdist -m loadtest tests/test_loadtest.py
endif

# Load and faults against the production set-up, on a PostgreSQL cluster and a Redis server
# of its own (never the shared ones): docs/LOADTEST.md. E.g. LOADTEST_ARGS="--posts 1000".
LOADTEST_ARGS ?=
loadtest: install-dev
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

# Benchmarks (not timed tests). HOERING_BENCH_DATABASE_URL picks another database (its tables are dropped).
bench: install-dev
	$(BIN)/python bench/render_consultation.py
	$(BIN)/python bench/moderation_queue.py

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations axe

# axe-core from the npm registry, for the accessibility checks of the browser tests
# (skipped, with the browser tests, where npm is missing).
AXE_VERSION := 4.14.1
axe: node_modules/axe-core/axe.min.js
node_modules/axe-core/axe.min.js:
	@if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund --no-save axe-core@$(AXE_VERSION); \
	else echo "npm not found: the accessibility checks will be skipped"; fi

# The first install downloads about 90 packages (under 2 minutes on a fast line); pip lists
# each package as it collects it, so the wait shows its progress.
$(VENV)/.installed: requirements.txt
	@echo "== Creating .venv and installing the pinned packages of requirements.txt (first time: a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt | { grep -v '^Requirement already satisfied' || true; }
	@echo "== Packages installed"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	@echo "== Installing the test tools of requirements-dev.txt"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt | { grep -v '^Requirement already satisfied' || true; }
	@echo "== Test tools installed"
	touch $@

translations: $(COMPILED)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# A random secret key for this machine's instance, written once, never committed.
instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print('SECRET_KEY = ' + repr(secrets.token_hex(32)))" > $@
	echo "SITE_OWNER = 'Fjordvik kommune'  # the demo municipality; change it for a real installation" >> $@

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o hoering/translations/messages.pot --no-location --sort-output .

update-messages: extract-messages
	$(BIN)/pybabel update -i hoering/translations/messages.pot -d hoering/translations --ignore-obsolete --no-wrap

lint: install-dev
	$(BIN)/ruff check hoering tests bench

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
