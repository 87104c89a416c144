"""/readyz, /metrics and request ids on the app; the real worker's heartbeat and its
shutdown (SIGTERM gives this worker's order leases back)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from compass import clock, health, store
from compass.settings import Settings
from tests.factories import add_order, fresh_heartbeat
from tests.fakes.processes import ROOT
from tests.fakes.web_app import db_of, web_client


def test_readyz_is_ok_with_a_fresh_worker_heartbeat():
    with web_client() as (client, _):
        fresh_heartbeat()
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert set(checks) == {"database", "migrations", "ai_service", "mail", "queue", "worker",
                           "templates", "pdf"}
    assert all(check["ok"] for check in checks.values())
    assert checks["migrations"]["detail"] == f"at version {len(store.available_migrations())}"


@pytest.mark.parametrize(("age", "state", "expected"), [
    (health.HEARTBEAT_STALE_SECONDS + 30, "running", "old"),
    (0, "stopped", "stopped"),
    (None, None, "no heartbeat"),
])
def test_readyz_fails_when_the_worker_heartbeat_is_stale_or_missing(age, state, expected):
    with web_client() as (client, _):
        if age is not None:
            fresh_heartbeat(age, state)
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # alive all the same
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert not worker["ok"] and expected in worker["detail"]
    assert response.json()["checks"]["database"]["ok"]


def test_readyz_fails_on_pending_migrations():
    with web_client() as (client, _):
        fresh_heartbeat()
        db_of(client).conn.execute("DELETE FROM schema_migrations WHERE version = "
                                   "(SELECT max(version) FROM schema_migrations)")
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "not applied" in response.json()["checks"]["migrations"]["detail"]


def test_metrics_shows_requests_by_route_and_orders_by_status():
    with web_client() as (client, _):
        add_order(db_of(client), 1)
        public_id = db_of(client).conn.execute("SELECT public_id FROM orders").fetchone()[0]
        for _ in range(3):
            assert client.get(f"/api/orders/{public_id}/status").status_code == 200
        body = client.get("/metrics").text
    assert 'compass_orders{status="paid",tier="standard"} 1.0' in body
    assert 'route="/api/orders/{public_id}/status",status="200"' in body
    assert public_id not in body  # a template, never the URL


def test_metrics_are_private_in_production_behind_flys_proxy(monkeypatch):
    from compass.web import ops

    class FakeRequest:
        def __init__(self, headers):
            self.headers = headers
            self.app = type("A", (), {"state": type("S", (), {"compass": type(
                "C", (), {"settings": Settings(COMPASS_ENV="production")})()})()})()

    monkeypatch.setenv("METRICS_TOKEN", "scrape-token-123")
    assert ops._metrics_allowed(FakeRequest({}))  # Fly's scraper, private network
    assert not ops._metrics_allowed(FakeRequest({"fly-client-ip": "203.0.113.9"}))
    assert ops._metrics_allowed(FakeRequest({"fly-client-ip": "203.0.113.9",
                                             "authorization": "Bearer scrape-token-123"}))


def test_every_response_has_a_request_id_and_one_access_line():
    from compass import logs

    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        with web_client() as (client, _):
            logs.configure("web", stream=stream, force=True, own_access_log=True)
            add_order(db_of(client), 1)
            public_id = db_of(client).conn.execute("SELECT public_id FROM orders").fetchone()[0]
            given = client.get("/", headers={"X-Request-ID": "abcdef123456"})
            made = client.get(f"/status/{public_id}")
            bogus = client.get("/", headers={"X-Request-ID": "<script>"})
    finally:
        root.handlers = saved
        logs._configured = False
    assert given.headers["x-request-id"] == "abcdef123456"
    assert len(made.headers["x-request-id"]) == 16
    assert bogus.headers["x-request-id"] != "<script>"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line.get("event") == "request"]
    status_line = next(line for line in access if line["route"] == "/status/{public_id}")
    assert status_line["order"] == public_id and status_line["status"] == 200
    assert status_line["request_id"] == made.headers["x-request-id"]
    assert status_line["duration_ms"] >= 0


def test_lines_logged_while_answering_carry_the_request_id_and_order_and_no_later_line_does():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient
    from structlog.contextvars import get_contextvars

    from compass import logs
    from compass.web.ops import RequestContext

    async def handler(request):
        logs.get_logger("compass.test").info("structlog line")
        logging.getLogger("compass.test").warning("stdlib line")
        return PlainTextResponse("ok")

    app = RequestContext(Starlette(routes=[Route("/status/{public_id}", handler),
                                           Route("/", handler)]))
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        logs.configure("web", stream=stream, force=True, own_access_log=True)
        with TestClient(app) as client:
            order = client.get("/status/PUBLIC-id_123", headers={"X-Request-ID": "given-id-1"})
            fly = client.get("/", headers={"Fly-Request-ID": "fly-request-1"})
            both = client.get("/", headers={"Fly-Request-ID": "fly-request-2",
                                            "X-Request-ID": "given-id-2"})
            newline = client.get("/", headers={"X-Request-ID": "abcdefgh\n"})
        logs.get_logger("compass.test").info("after the requests")
    finally:
        root.handlers = saved
        logs._configured = False
    assert (order.headers["x-request-id"], fly.headers["x-request-id"],
            both.headers["x-request-id"]) == ("given-id-1", "fly-request-1", "given-id-2")
    assert re.fullmatch(r"[0-9a-f]{16}", newline.headers["x-request-id"])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    handled = [line for line in lines if line["event"] in ("structlog line", "stdlib line")]
    assert [(line["request_id"], line.get("order")) for line in handled[:2]] == [
        ("given-id-1", "PUBLIC-id_123")] * 2
    assert all("order" not in line for line in handled[2:])
    after = next(line for line in lines if line["event"] == "after the requests")
    assert "request_id" not in after and "order" not in after
    assert "request_id" not in get_contextvars()

    async def in_one_task() -> dict:
        # TestClient runs each request in a task of its own; a server need not.
        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            pass

        await app({"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http",
                   "path": "/status/PUBLIC-id_123", "raw_path": b"/status/PUBLIC-id_123",
                   "root_path": "", "query_string": b"", "headers": [],
                   "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}, receive, send)
        return get_contextvars()

    assert asyncio.run(in_one_task()) == {}


@pytest.mark.timeout(60)
def test_the_worker_beats_and_gives_its_leases_back_on_sigterm(tmp_path):
    data = tmp_path / "data"
    db = store.open_database(data / "compass.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "ANTHROPIC_"))}
    env |= {"COMPASS_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(data / "metrics")}
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    worker = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "huey_consumer"), "jobs.huey",
         "--workers", "2", "--worker-type", "thread"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    heartbeat = data / "worker.heartbeat"
    try:
        deadline = time.monotonic() + 20
        while not (heartbeat.exists() and health.read_heartbeat(heartbeat)):
            assert worker.poll() is None, log.read()
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.1)
        beat = health.read_heartbeat(heartbeat)
        assert beat["state"] == "running" and beat["pid"] == worker.pid
        # The start-up sweep ends with this line; huey installs its signal handlers just
        # after starting the worker threads, so a SIGTERM any earlier would bypass them.
        while "worker started" not in (tmp_path / "worker.log").read_text():
            assert time.monotonic() < deadline, "worker never finished starting"
            time.sleep(0.05)
        time.sleep(0.2)

        # An order this worker is running (as its lease says), and one another host runs.
        for n in (1, 2):
            add_order(db, n)
            db.conn.execute("UPDATE orders SET status = 'processing', lease_expires_at = ?"
                            " WHERE id = ?", (clock.now_iso()[:4] + "9", n))
        db.conn.execute("UPDATE orders SET lease_owner = ? WHERE id = 1",
                        (f"{socket.gethostname()}:{worker.pid}:abcd",))
        db.conn.execute("UPDATE orders SET lease_owner = 'elsewhere:1:x' WHERE id = 2")

        os.killpg(worker.pid, signal.SIGTERM)
        assert worker.wait(15) is not None
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    log.seek(0)
    output = log.read()
    owners = [r[0] for r in db.conn.execute("SELECT lease_owner FROM orders ORDER BY id")]
    assert owners == [None, "elsewhere:1:x"], output[-3000:]
    assert health.read_heartbeat(heartbeat)["state"] == "stopped"
    assert "gave back the leases of ORD-2026-000001" in output
    # The worker's log lines are JSON.
    assert any(line.startswith("{") and '"process": "worker"' in line
               for line in output.splitlines())
