"""uvicorn's HTTP protocol with a deadline on request headers (`--http` in the Procfile).

uvicorn bounds idle keep-alive connections, and compass.web.limits bounds the body, but
nothing bounds a client that opens a connection and sends its headers a byte at a time
(slowloris): each such connection would stay open for as long as the client likes. Here a
connection whose request line and headers are not complete within HEADERS_TIMEOUT_SECONDS
of its first byte (or of being opened) is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from compass.settings import get_settings


class BoundedHeadersProtocol(HttpToolsProtocol):
    _headers_deadline: asyncio.TimerHandle | None = None

    def _start_headers_deadline(self) -> None:
        self._stop_headers_deadline()
        self._headers_deadline = self.loop.call_later(
            get_settings().HEADERS_TIMEOUT_SECONDS, self._headers_too_slow)

    def _stop_headers_deadline(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _headers_too_slow(self) -> None:
        self._headers_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_headers_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_headers_deadline()  # each request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._stop_headers_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_headers_deadline()
        super().connection_lost(exc)
