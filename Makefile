# pqrisk — two commands: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test install install-test lint check vendor system-deps clean

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

install: $(VENV)/.installed vendor
install-test: $(VENV)/.installed-test vendor system-deps

# Debian packages the tests use: Chromium for the browser tests (driven by Playwright with
# executable_path, so no browser is downloaded). Installed when missing and apt-get can.
SYSTEM_PACKAGES := chromium
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages: $$missing (browser tests will be skipped)"; fi; \
	fi

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

clean:
	rm -rf $(VENV) node_modules var pqrisk/web/static/vendor
