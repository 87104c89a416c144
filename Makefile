# `make run` and `make test` work on a fresh clone: they create the virtualenv, install the
# locked dependencies (uv.lock, with hashes) and, when run as root, the Debian packages the
# product needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export COMPASS_DATA_DIR ?= data
export PORT ?= 8000

# uv installs from uv.lock. Pinned like every other tool: the copy on PATH is used only when
# it is exactly this version, otherwise this version is installed from PyPI into .tools/.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
# uv uses the machine's python3 and never downloads an interpreter of its own.
export UV_PYTHON ?= $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
# One stamp per state of the lock: a second `make run` or `make test` installs nothing.
# `run` installs the runtime dependencies only; `test` adds the dev extra (pytest, playwright,
# moto, ...), which `run` then keeps rather than reinstalling.
LOCK_HASH := $(shell cat pyproject.toml uv.lock | sha256sum | cut -c1-12)
RUN_STAMP := $(VENV)/.installed-run-$(LOCK_HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(LOCK_HASH)

# WeasyPrint's libraries, a font, the sqlite3 CLI for operators.
# chromium: the browser test (tests/test_e2e_browser.py); wrk: bench/web.py.
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-inter sqlite3 chromium wrk

# Browser code comes from the npm registry (`npm pack`), each tarball checked against a
# pinned sha256, into the git-ignored static/vendor/ (never committed).
# htmx 2 (npm's latest is 4.x; this product uses 2).
HTMX_VERSION := 2.0.11
HTMX_SHA256 := 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
HTMX := static/vendor/htmx.min.js
# The ALTCHA proof-of-work widget: its CSP-strict build (styles in a file, no inline
# workers) and the PBKDF2 worker, all served from our own origin.
ALTCHA_VERSION := 3.2.2
ALTCHA_SHA256 := 0a1d0759ac0c4ada26e0622a6f8a0926da915078f27b3edec87453f8db33131c
ALTCHA := static/vendor/altcha.min.js
VENDOR := $(HTMX) $(ALTCHA)
# axe-core, for the tests only (tests/test_e2e_widths.py injects it): never served.
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE := .tools/axe-core/axe.min.js

# $(call npm-fetch,package,version,sha256,paths in the tarball): fetch and check the
# tarball, unpack those paths under $$tmp/package/ (removed when the recipe ends).
define npm-fetch
tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
( cd "$$tmp" && npm pack --silent $(1)@$(2) >/dev/null ) && \
echo "$(3)  $$tmp/$(1)-$(2).tgz" | sha256sum --check --quiet && \
tar -xzf "$$tmp/$(1)-$(2).tgz" -C "$$tmp" $(4) && mkdir -p static/vendor
endef

.PHONY: run test lint bench system-deps clean htmx vendor lock

$(UV):
	@mkdir -p $(dir $(UV))
	@if [ "$$(uv --version 2>/dev/null | cut -d' ' -f2)" = "$(UV_VERSION)" ]; then \
	  ln -sf "$$(command -v uv)" $(UV); \
	else \
	  echo "Installing uv $(UV_VERSION) from PyPI into .tools/"; \
	  $(PYTHON) -m venv .tools/venv && .tools/venv/bin/pip install --quiet uv==$(UV_VERSION) \
	  && ln -sf ../venv/bin/uv $(UV); \
	fi

$(RUN_STAMP): pyproject.toml uv.lock | $(UV)
	@$(MAKE) --no-print-directory system-deps
	$(UV) sync --quiet --frozen
	@rm -f $(VENV)/.installed-* && touch $@

$(DEV_STAMP): pyproject.toml uv.lock | $(UV)
	@$(MAKE) --no-print-directory system-deps
	$(UV) sync --quiet --frozen --extra dev
	@rm -f $(VENV)/.installed-* && touch $@ $(RUN_STAMP)

# After changing dependencies in pyproject.toml: refresh the lock (then commit both).
lock: | $(UV)
	$(UV) lock

system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:" $$missing; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Please install these Debian packages (as root): $$missing"; \
	  fi; \
	fi

vendor: $(VENDOR)
htmx: $(HTMX)

$(HTMX):
	@$(call npm-fetch,htmx.org,$(HTMX_VERSION),$(HTMX_SHA256),package/dist/htmx.min.js) && \
	cp "$$tmp/package/dist/htmx.min.js" $(HTMX) && \
	echo "htmx $(HTMX_VERSION) verified and installed in $(HTMX)"

$(ALTCHA):
	@$(call npm-fetch,altcha,$(ALTCHA_VERSION),$(ALTCHA_SHA256),package/LICENSE.txt \
	  package/dist/external/altcha.min.js package/dist/external/altcha.css \
	  package/dist/workers/pbkdf2.js) && \
	cp "$$tmp/package/dist/external/altcha.css" static/vendor/altcha.css && \
	cp "$$tmp/package/dist/workers/pbkdf2.js" static/vendor/altcha-pbkdf2.js && \
	cp "$$tmp/package/LICENSE.txt" static/vendor/altcha-LICENSE.txt && \
	cp "$$tmp/package/dist/external/altcha.min.js" $(ALTCHA) && \
	echo "altcha $(ALTCHA_VERSION) verified and installed in static/vendor/"

$(AXE):
	@$(call npm-fetch,axe-core,$(AXE_VERSION),$(AXE_SHA256),package/axe.min.js package/LICENSE) && \
	mkdir -p $(dir $(AXE)) && cp "$$tmp/package/axe.min.js" $(AXE) && \
	cp "$$tmp/package/LICENSE" $(dir $(AXE))LICENSE && \
	echo "axe-core $(AXE_VERSION) verified and installed in $(AXE)"

run: $(RUN_STAMP) $(VENDOR)
	$(BIN)/compass migrate
	$(BIN)/compass sample-report
	@echo "AI Readiness Compass: open http://127.0.0.1:$(PORT)  (data in $(COMPASS_DATA_DIR))"
	@# honcho gives each process its own PORT (the worker web+100): COMPASS_WEB_PORT keeps
	@# the worker's links on the web's port. `-e /dev/null`: .env is read by the processes
	@# themselves (compass/settings.py), where the real environment wins, as for the CLI.
	COMPASS_WEB_PORT=$(PORT) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/compass procs start -e /dev/null -f Procfile

test: $(DEV_STAMP) $(VENDOR) $(AXE)
	$(BIN)/ruff check .
	$(BIN)/mypy compass jobs app.py
	$(BIN)/pytest -q -n 2 --durations=15

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache
