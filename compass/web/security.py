"""Security headers on every response.

The app adds them in RequestContext's pass over each response start (compass.web.ops: one
wrapper of `send` for the request id and these, a measurable share of answering a poll);
SecurityHeaders is also a pure ASGI middleware of its own (no body buffering).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only our own origin: htmx and the CSS are served from /static, nothing inline.
# form-action includes Stripe because POST /orders redirects there.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'")


# Pages about one order, one account or the business: never cached by a shared cache or the
# browser's back-forward history, never indexed. Everything else (the landing page, legal
# pages, the sample report, static files) is public.
PRIVATE_PREFIXES = ("/status/", "/orders", "/order/", "/api/", "/admin", "/login", "/logout",
                    "/dashboard", "/account", "/checkout/", "/dev/", "/altcha/", "/metrics",
                    "/readyz")
_PRIVATE_HEADERS = [(b"x-robots-tag", b"noindex, nofollow")]
_PRIVATE_NO_STORE = [(b"cache-control", b"private, no-store"), *_PRIVATE_HEADERS]
_PRIVATE_CACHING = re.compile(rb"no-store|no-cache", re.IGNORECASE)


def is_private(path: str) -> bool:
    return path.startswith(PRIVATE_PREFIXES)


class SecurityHeaders:
    def __init__(self, app: ASGIApp | None = None, *, production: bool):
        self.app = app
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if production:
            self.headers.append((b"strict-transport-security",
                                 b"max-age=63072000; includeSubDomains"))
        # Every answer is polled or served many times a second at most a few header lists:
        # built once here. A private page is never stored by a shared cache.
        self.names = frozenset(name for name, _ in self.headers) | {b"cache-control"}
        self.private_headers = [*self.headers, *_PRIVATE_NO_STORE]

    def added(self, path: str,
              headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """A new list: the handler's response headers for `path` with ours added."""
        # ASGI: response header names are lower-case.
        if {name for name, _ in headers}.isdisjoint(self.names):
            # The usual answer: the handler set none of ours, nor caching.
            return [*headers, *(self.private_headers if path.startswith(PRIVATE_PREFIXES)
                                else self.headers)]
        return self._merged(headers, path.startswith(PRIVATE_PREFIXES))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "SecurityHeaders(app, ...) to use it as a middleware"
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.added(scope["path"], message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _merged(self, headers: Iterable[tuple[bytes, bytes]],
                private: bool) -> list[tuple[bytes, bytes]]:
        """The handler's headers with ours added: a header the handler set itself stands,
        except on a private page a caching weaker than the handler's own no-store or
        no-cache (a revalidated fragment), which becomes no-store."""
        if private:
            headers = [(name, value) for name, value in headers
                       if name != b"cache-control" or _PRIVATE_CACHING.search(value)]
        names = {name for name, _ in headers}
        extra = [header for header in self.headers if header[0] not in names]
        if private:
            extra += _PRIVATE_HEADERS if b"cache-control" in names else _PRIVATE_NO_STORE
        return [*headers, *extra]
