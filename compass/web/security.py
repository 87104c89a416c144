"""Security headers on every response (a pure ASGI middleware: no body buffering)."""

from __future__ import annotations

import re

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
    def __init__(self, app: ASGIApp, *, production: bool):
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
        self.names = frozenset(name for name, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        private = is_private(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                # ASGI: response header names are lower-case.
                names = {name for name, _ in headers}
                # A header the handler set itself stands; usually it set none of ours.
                extra = (self.headers if names.isdisjoint(self.names)
                         else [header for header in self.headers if header[0] not in names])
                if private:
                    # A private page is never stored by a shared cache: the handler's own
                    # no-store or no-cache (a revalidated fragment) stands, else no-store.
                    if b"cache-control" in names:
                        kept = [(name, value) for name, value in headers
                                if name != b"cache-control" or _PRIVATE_CACHING.search(value)]
                        if len(kept) < len(headers):  # a weaker one was dropped
                            headers = kept
                            names = {name for name, _ in kept}
                    extra = extra + (_PRIVATE_HEADERS if b"cache-control" in names
                                     else _PRIVATE_NO_STORE)
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
