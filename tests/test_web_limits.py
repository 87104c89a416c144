"""Abuse a single client could try, against the real uvicorn serving app.py:

- spoofed X-Forwarded-For to step around the per-IP limits (each request a "new client");
- a chunked 300 MB body to the webhook and to a form (no Content-Length to refuse early);
- bodies that never finish arriving (slow or idle clients holding connections).

Memory is watched with psutil on the web process; bounds are counted in bytes, never time.
"""

from __future__ import annotations

import re
import socket
from contextlib import closing

import httpx
import psutil
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from compass import ratelimit
from compass.web.limits import FORM_MAX_BYTES, WEBHOOK_MAX_BYTES, ClientAddress
from tests.factories import ANSWERS
from tests.fakes.processes import procfile_stack

MB = 1024 * 1024


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # One server for the module (starting one is slow on a busy machine). A short body
    # deadline so the slow-client test ends soon; the size limits are the real ones.
    tmp_path = tmp_path_factory.mktemp("limits")
    # Module-scoped, so set up before conftest's per-test environment: say it all here.
    env = {"BODY_TIMEOUT_SECONDS": "2", "HEADERS_TIMEOUT_SECONDS": "2",
           "ALTCHA_ENABLED": "false", "COMPASS_ENV_FILE": ""}
    with procfile_stack(tmp_path, env) as (base, _logs):
        port = int(base.rsplit(":", 1)[1])
        [pid] = {c.pid for c in psutil.net_connections("tcp")
                 if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN}
        yield base, port, psutil.Process(pid)


def test_spoofed_forwarding_headers_do_not_reset_the_order_limit(stack):
    base, _, _ = stack
    outcomes = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(ratelimit.ORDERS_PER_IP.max_hits + 1):
            spoof = {"x-forwarded-for": f"203.0.113.{n}", "x-real-ip": f"198.51.100.{n}",
                     "forwarded": f"for=192.0.2.{n}", "fly-client-ip": f"192.0.2.{n}"}
            form = client.get("/order/new?tier=starter", headers=spoof)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            placed = client.post("/orders", headers=spoof,
                                 data=ANSWERS | {"csrf_token": token, "tier": "starter"})
            outcomes.append(placed.status_code)
    assert outcomes == [303] * ratelimit.ORDERS_PER_IP.max_hits + [429], outcomes


def send_chunked(port: int, path: str, total: int, web) -> tuple[bytes, int, int]:
    """Send up to `total` bytes as 1 MB chunks; return (answer, bytes sent, peak RSS)."""
    chunk = b"a" * MB
    sent, peak = 0, web.memory_info().rss
    with closing(socket.create_connection(("127.0.0.1", port), timeout=60)) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                peak = max(peak, web.memory_info().rss)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what it should do
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
    return answer, sent, max(peak, web.memory_info().rss)


@pytest.mark.parametrize(("path", "limit"), [
    ("/api/webhooks/stripe", WEBHOOK_MAX_BYTES),
    ("/orders", FORM_MAX_BYTES),
    ("/login", FORM_MAX_BYTES),
])
def test_a_chunked_300_mb_body_is_refused_while_it_is_read(stack, path, limit):
    _, port, web = stack
    before = web.memory_info().rss
    answer, sent, peak = send_chunked(port, path, 300 * MB, web)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Nowhere near the body's size: the whole request was never held in memory, and the
    # server stopped reading long before 300 MB had gone through.
    assert peak - before < 40 * MB, (before, peak)
    assert sent < 300 * MB
    assert limit < 1 * MB


def test_a_declared_oversized_body_is_refused_before_it_is_sent(stack):
    _, port, _ = stack
    with closing(socket.create_connection(("127.0.0.1", port), timeout=60)) as sock:
        sock.sendall(f"POST /api/webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Content-Length: {300 * MB}\r\n\r\n{{".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 413")


def test_bodies_that_never_finish_are_cut_off(stack):
    _, port, web = stack
    before = web.memory_info().rss
    sockets = []
    try:
        for path in ("/api/webhooks/stripe", "/orders", "/login") * 10:
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            sockets.append(sock)
            # Headers promise 50 KB; ten bytes arrive, then nothing.
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {50 * 1024}\r\n\r\nemail=a%40".encode())
        for sock in sockets:
            answer = b""
            while chunk := sock.recv(65536):  # until the server closes the connection
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"connection: close" in answer.lower()
    finally:
        for sock in sockets:
            sock.close()
    assert web.memory_info().rss - before < 20 * MB


def test_headers_that_never_finish_are_cut_off(stack):
    base, port, web = stack
    before = web.memory_info().rss
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(30)]
    try:
        for n, sock in enumerate(sockets):
            if n % 2:  # half send part of a request line and headers, half nothing at all
                sock.sendall(b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        for sock in sockets:
            assert sock.recv(65536) == b""  # closed by the server, with nothing to say
    finally:
        for sock in sockets:
            sock.close()
    assert web.memory_info().rss - before < 20 * MB
    assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200  # still serving


# -- which address is the client's (the middleware alone) -------------------------------------

async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.client.host} {request.url.scheme}")


def seen(fly: bool, trusted: str, peer: str, headers: dict[str, str]) -> str:
    app = ClientAddress(Starlette(routes=[Route("/", _echo)]), fly=fly, trusted=trusted)
    with TestClient(app, client=(peer, 40000)) as client:
        return client.get("/", headers=headers).text


def test_production_takes_flys_client_ip_and_ignores_forwarded_for():
    headers = {"fly-client-ip": "198.51.100.7", "x-forwarded-for": "203.0.113.9",
               "x-forwarded-proto": "https"}
    assert seen(True, "", "172.16.0.2", headers) == "198.51.100.7 https"


@pytest.mark.parametrize(("trusted", "peer", "forwarded", "expected"), [
    ("", "127.0.0.1", "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the peer
    ("10.0.0.0/8", "192.0.2.1", "203.0.113.9", "192.0.2.1"),  # not from the proxy
    ("10.0.0.0/8", "10.0.0.5", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # spoof prepended
    ("10.0.0.0/8", "10.0.0.5", "1.2.3.4, 203.0.113.9, 10.0.0.6", "203.0.113.9"),
    ("*", "10.0.0.5", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the hop the proxy added
])
def test_forwarded_for_only_from_a_trusted_proxy_and_only_its_own_entry(
        trusted, peer, forwarded, expected):
    assert seen(False, trusted, peer, {"x-forwarded-for": forwarded}).split()[0] == expected
