"""Operations endpoints and the request middleware: /readyz, /metrics, request ids,
access log lines and request metrics."""

from __future__ import annotations

import hmac
import logging
import os
import random
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars

from compass import health
from compass.web.common import not_found, state
from compass.web.security import SecurityHeaders

access_log = logging.getLogger("compass.access")

# An incoming id is kept only when it looks like one (it ends up in logs and headers).
_SAFE_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")
# Path parameters that are credentials: never logged.
_SECRET_PARAMS = frozenset({"token", "session_id"})
# The URL contract's order paths: the public id is bound before routing, so every line a
# handler logs about the order carries it.
_ORDER_PATH = re.compile(
    r"^/(?:status|orders|api/orders|admin/orders)/([A-Za-z0-9_-]{8,64})(?:/|$)")
# Polled every few seconds (by machines, and by every open status page): logged at DEBUG
# unless they fail or are slow. A JSON access line costs more than answering a poll from
# the cache does; at INFO they halved the status endpoints' throughput (bench/web.py).
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics", "/status/{public_id}/progress",
                           "/api/orders/{public_id}/status"})
_SLOW_SECONDS = 0.5


def _structlog_var(key: str) -> ContextVar[Any]:
    """structlog's own context variable for `key` (the one bind_contextvars sets and every
    log line reads), so a request binds it with one set(): bind_contextvars builds names
    and dicts on each call, a measurable share of answering a poll (bench/web.py)."""
    token = bind_contextvars(**{key: Ellipsis})[key]
    token.var.reset(token)
    return token.var


_REQUEST_ID = _structlog_var("request_id")
_ORDER = _structlog_var("order")


class RequestContext:
    """Gives every request an id (X-Request-ID, or Fly's), binds it and the order's public id
    to every log line of the request, then logs one access line and records metrics. With
    `security`, every response also carries the security headers."""

    def __init__(self, app: ASGIApp, *, security: SecurityHeaders | None = None):
        self.app = app
        # Added here, in the one pass over each response start, rather than by a middleware
        # of its own: each layer wrapping `send` costs every poll (bench/web.py).
        self.security = security
        self._observe: Callable[[str, str, int, float], None] | None = None

    def _observer(self) -> Callable[[str, str, int, float], None]:
        # Imported on first use: the web process sets PROMETHEUS_MULTIPROC_DIR first.
        from compass import metrics

        self._observe = metrics.observe_request
        return self._observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # uvicorn gives header names lower-cased; only two of them matter here, and
        # X-Request-ID wins over Fly's. (dict() reads a browser's dozen headers in C.)
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id") or headers.get(b"fly-request-id") or b""
        # A request id names a request in the logs; it guards nothing, so no system call
        # for randomness on every poll (the random module is seeded from os.urandom).
        request_id = (incoming.decode("latin-1") if _SAFE_ID.fullmatch(incoming)
                      else f"{random.getrandbits(64):016x}")
        id_header = (b"x-request-id", request_id.encode("latin-1"))
        id_token = _REQUEST_ID.set(request_id)
        match = _ORDER_PATH.match(scope["path"])
        order_token = _ORDER.set(match.group(1)) if match else None
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                headers = (self.security.added(scope["path"], headers) if self.security
                           else list(headers))
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            # Unmatched paths share one label: scanners must not create a time series each.
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            (self._observe or self._observer())(scope["method"], route, status, seconds)
            quiet = route in _QUIET_ROUTES and status < 400 and seconds < _SLOW_SECONDS
            level = logging.DEBUG if quiet else logging.INFO
            if access_log.isEnabledFor(level):
                params = {k: v for k, v in (scope.get("path_params") or {}).items()
                          if k not in _SECRET_PARAMS and k != "public_id"}  # bound as "order"
                access_log.log(level, "request", extra={
                    "method": scope["method"], "route": route, "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": (scope.get("client") or ("-",))[0],
                    **({"path_params": params} if params else {}),
                })
            if order_token is not None:
                _ORDER.reset(order_token)
            _REQUEST_ID.reset(id_token)


async def readyz(request: Request) -> Response:
    checks = await run_in_threadpool(health.readiness, state(request).settings)
    ready = all(check.ok for check in checks)
    # "degraded": ready, but something (late mail) needs a person's look.
    status = "unavailable" if not ready else "degraded" if any(c.warn for c in checks) else "ok"
    body = {"status": status,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail}
                       | ({"warn": True} if c.warn else {}) for c in checks}}
    return JSONResponse(body, status_code=200 if ready else 503,
                        headers={"cache-control": "no-store"})


def _metrics_allowed(request: Request) -> bool:
    """Fly's Prometheus scrapes over the private network; Fly's public proxy adds
    Fly-Client-IP to what it forwards. In production a public request needs METRICS_TOKEN."""
    if not state(request).settings.is_production or "fly-client-ip" not in request.headers:
        return True
    token = os.environ.get("METRICS_TOKEN", "")
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(offered, token)


async def metrics_endpoint(request: Request) -> Response:
    if not _metrics_allowed(request):
        return not_found(request)
    from compass import metrics

    body, content_type = await run_in_threadpool(metrics.render, state(request).settings.db_path)
    return Response(body, media_type=content_type, headers={"cache-control": "no-store"})
