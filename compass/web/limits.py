"""Who is asking, and how much they may send: two pure ASGI middlewares (no buffering).

`ClientAddress` decides the client's address once, for the rate limits and the logs. Behind
Fly's proxy (production) that is `Fly-Client-IP`, which the proxy sets and a client cannot
choose; `X-Forwarded-For` is believed only from a configured trusted proxy, and then only
the entry that proxy added (the rightmost untrusted one) — its leftmost entries are whatever
the client sent. uvicorn runs with --no-proxy-headers so it does not decide first.

`BodyLimits` bounds every request body while it is read, chunked bodies included: past the
route's limit the request is answered 413, and a body not complete within
BODY_TIMEOUT_SECONDS of the headers is answered 408 (slow or idle clients). Either way the
connection is closed, so nothing more is read from it.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compass.intake import OrderInput

# Stripe's events are a few kilobytes; the largest (many line items) stay far below this.
WEBHOOK_MAX_BYTES = 512 * 1024


def _longest_form_characters() -> int:
    """The order form's text at its field limits: the largest form the product has (the
    sign-in, refund, revision and account forms hold one or two fields of at most 5,000)."""
    total = 0
    for field in OrderInput.model_fields.values():
        total += max((getattr(m, "max_length", 0) or 0 for m in field.metadata), default=50)
    return max(total, 5000)


# URL-encoding makes one character at most 12 bytes (4 UTF-8 bytes, each %XX); 16 KB for
# names, the CSRF token, the proof-of-work payload and multipart boundaries.
FORM_MAX_BYTES = 12 * _longest_form_characters() + 16 * 1024
BODY_LIMITS = {"/api/webhooks/stripe": WEBHOOK_MAX_BYTES}


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        self.status, self.text = status, text


async def _answer(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        # uvicorn closes the connection: the rest of the body is never read.
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimits:
    def __init__(self, app: ASGIApp, *, timeout: float, default_limit: int = FORM_MAX_BYTES,
                 limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.timeout = timeout
        self.default_limit = default_limit
        self.limits = BODY_LIMITS if limits is None else limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _answer(send, 413, "Request body too large.")
                return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _Refused(408, "Request body not received in time.") from None
            received += len(message.get("body", b""))
            if received > limit:
                raise _Refused(413, "Request body too large.")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except _Refused as refused:
            if started:  # too late to answer: dropping the connection is all that is left
                raise
            await _answer(send, refused.status, refused.text)


def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in spec.split(",") if part.strip() and part.strip() != "*"]


class ClientAddress:
    """Sets scope["client"] (and the scheme) from the headers a trusted proxy added."""

    def __init__(self, app: ASGIApp, *, fly: bool, trusted: str = "") -> None:
        self.app = app
        self.fly = fly
        self.trust_all = trusted.strip() == "*"
        self.trusted = _networks(trusted)

    def _is_trusted(self, address: str) -> bool:
        if self.trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def _from_forwarded_for(self, values: Iterable[str]) -> str | None:
        hops = [hop.strip() for value in values for hop in value.split(",") if hop.strip()]
        # Right to left: each trusted proxy appended the address it saw. The first one that
        # is not a trusted proxy is the client; with "*" that is the last hop appended.
        for hop in reversed(hops):
            if self.trust_all or not self._is_trusted(hop):
                return hop
        return hops[0] if hops else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # No proxy to believe (development, tests): nothing to read per request.
        if scope["type"] in ("http", "websocket") and (self.fly or self.trust_all
                                                       or self.trusted):
            headers = scope["headers"]
            if self.fly:
                client = next((v.decode("latin-1").strip() for k, v in headers
                               if k == b"fly-client-ip"), None)
                proto = next((v.decode("latin-1") for k, v in headers
                              if k == b"x-forwarded-proto"), None)
            else:
                peer = scope.get("client")
                client = proto = None
                if peer and self._is_trusted(peer[0]):
                    client = self._from_forwarded_for(
                        v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for")
                    proto = next((v.decode("latin-1") for k, v in headers
                                  if k == b"x-forwarded-proto"), None)
            if client:
                scope["client"] = (client, 0)
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else \
                    {"http": "ws", "https": "wss"}[proto]
        await self.app(scope, receive, send)
