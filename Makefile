# `make run` and `make test` work on a fresh clone: they create the virtualenv, install the
# pinned dependencies and, when run as root, the Debian packages the product needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export COMPASS_DATA_DIR ?= data
export PORT ?= 8000

# WeasyPrint's libraries, a font, the sqlite3 CLI for operators.
# chromium: the browser test (tests/test_e2e_browser.py); wrk: bench/web.py.
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core sqlite3 chromium wrk

# htmx 2 from the npm registry, checked against the tarball's pinned sha256, never committed.
HTMX_VERSION := 2.0.11
HTMX_SHA256 := 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
HTMX := static/vendor/htmx.min.js

.PHONY: run test lint bench system-deps clean htmx

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

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

htmx: $(HTMX)

$(HTMX):
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null 2>&1 \
	  || curl -fsSLo htmx.org-$(HTMX_VERSION).tgz https://registry.npmjs.org/htmx.org/-/htmx.org-$(HTMX_VERSION).tgz ) && \
	echo "$(HTMX_SHA256)  $$tmp/htmx.org-$(HTMX_VERSION).tgz" | sha256sum --check --quiet && \
	tar -xzf "$$tmp/htmx.org-$(HTMX_VERSION).tgz" -C "$$tmp" package/dist/htmx.min.js && \
	mkdir -p $(dir $(HTMX)) && cp "$$tmp/package/dist/htmx.min.js" $(HTMX) && \
	echo "htmx $(HTMX_VERSION) verified and installed in $(HTMX)"

run: $(STAMP) $(HTMX)
	$(BIN)/compass migrate
	@echo "AI Readiness Compass: open http://127.0.0.1:$(PORT)  (data in $(COMPASS_DATA_DIR))"
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile

test: $(STAMP) $(HTMX)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
