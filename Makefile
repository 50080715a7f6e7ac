# pqrisk — two commands: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test install install-test lint check vendor system-deps system-deps-runtime clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip==25.3"

# Runtime install: pinned tree from requirements/lock.txt, the package in editable mode.
$(VENV)/.installed: $(BIN)/activate pyproject.toml requirements/lock.txt
	$(PIP) install -c requirements/lock.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -c requirements/lock.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed vendor system-deps-runtime
install-test: $(VENV)/.installed-test vendor system-deps

# Debian packages, installed when missing and apt-get can (as root). At run time: Pango and
# the Noto CJK fonts, which WeasyPrint needs for the PDF warning documents (预警文书). For the
# tests also: Chromium for the browser tests (driven by Playwright with executable_path, so no
# browser is downloaded) and poppler-utils (pdftoppm renders a document page to PNG).
RUNTIME_SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
SYSTEM_PACKAGES := $(RUNTIME_SYSTEM_PACKAGES) chromium poppler-utils

# $(call apt_install,packages,what is lost without them)
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages: $$missing ($(2))"; fi; \
	fi
endef

system-deps-runtime:
	$(call apt_install,$(RUNTIME_SYSTEM_PACKAGES),PDF documents will not be available)

system-deps:
	$(call apt_install,$(SYSTEM_PACKAGES),browser and PDF tests will be skipped)

# Front-end libraries (htmx, ECharts) from npm, pinned by package-lock.json, copied into static/.
vendor:
	@if [ -f package-lock.json ] && command -v npm >/dev/null; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi; \
	  npm run --silent build; \
	else echo "npm not found: pages work without htmx/ECharts"; fi

demo: install
	$(BIN)/pqrisk demo

test: install-test
	scripts/services.sh
	$(BIN)/pytest -q -n $${PYTEST_WORKERS:-2} -p no:cacheprovider

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy pqrisk
	DJANGO_SETTINGS_MODULE=pqrisk.settings.test $(PY) manage.py makemigrations --check --dry-run

# The bureau-server shape locally: PostgreSQL + Redis, migrations, gunicorn, $(WORKERS) Celery
# workers on the stage queues and beat, supervised; Ctrl-C stops them all (docs/operations.md).
.PHONY: up
up: install
	WORKERS=$${WORKERS:-2} scripts/up.sh

clean:
	rm -rf $(VENV) node_modules var pqrisk/web/static/vendor
