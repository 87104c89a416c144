"""What keeps the polled status endpoints cheap stays correct: the status row read again
whenever the database changed, polls out of the INFO access log unless they fail or are
slow, request metrics summed in memory but all there at scrape."""

from __future__ import annotations

import io
import json
import logging

from compass import logs, store
from tests.factories import add_order
from tests.fakes.web_app import db_of, web_client


def _public_id(db) -> str:
    return db.conn.execute("SELECT public_id FROM orders WHERE id = 1").fetchone()[0]


def test_status_row_follows_writes_from_this_and_other_connections(tmp_path, monkeypatch):
    # Other connections' commits are looked for every STATUS_RECHECK_SECONDS: at once here.
    monkeypatch.setattr(store.orders, "STATUS_RECHECK_SECONDS", 0.0)
    db = store.open_database(tmp_path / "compass.db")
    add_order(db, 1)
    public_id = _public_id(db)
    assert store.orders.status_view(db, public_id)["progress_percent"] == 0
    assert store.orders.status_view(db, "no-such-order") is None

    # The worker's connection (another process in production) commits a progress update.
    worker = store.connect(tmp_path / "compass.db")
    worker.conn.execute("UPDATE orders SET progress_percent = 40 WHERE id = 1")
    assert store.orders.status_view(db, public_id)["progress_percent"] == 40

    # This connection's own write.
    db.conn.execute("UPDATE orders SET progress_percent = 55 WHERE id = 1")
    assert store.orders.status_view(db, public_id)["progress_percent"] == 55

    # An order created elsewhere after its id was looked up and not found.
    add_order(worker, 2)
    late = worker.conn.execute("SELECT public_id FROM orders WHERE id = 2").fetchone()[0]
    assert store.orders.status_view(db, late) is not None

    # Callers get their own copy: changing it changes nothing for the next reader.
    row = store.orders.status_view(db, public_id)
    row["status"] = "tampered"
    assert store.orders.status_view(db, public_id)["status"] != "tampered"


def test_polls_stay_out_of_the_access_log_unless_they_fail_or_are_slow(monkeypatch):
    from compass.web import ops

    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        with web_client() as (client, _):
            logs.configure("web", stream=stream, force=True, own_access_log=True)
            db = db_of(client)
            add_order(db, 1)
            public_id = _public_id(db)
            assert client.get(f"/status/{public_id}/progress").status_code == 200
            assert client.get(f"/api/orders/{public_id}/status").status_code == 200
            assert client.get("/api/orders/unknown-order-id/status").status_code == 404
            monkeypatch.setattr(ops, "_SLOW_SECONDS", 0.0)
            assert client.get(f"/status/{public_id}/progress").status_code == 200
    finally:
        root.handlers = saved
        logs._configured = False
    access = [line for line in map(json.loads, stream.getvalue().splitlines())
              if line.get("event") == "request"]
    assert [(line["route"], line["status"]) for line in access] == [
        ("/api/orders/{public_id}/status", 404), ("/status/{public_id}/progress", 200)]


def _polls_counted(body: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith("compass_http_requests_total{")
               and 'route="/status/{public_id}/progress"' in line)


def test_requests_are_all_in_the_scrape_however_recent():
    with web_client() as (client, _):
        add_order(db_of(client), 1)
        public_id = _public_id(db_of(client))
        before = _polls_counted(client.get("/metrics").text)
        for _ in range(3):
            client.get(f"/status/{public_id}/progress")
        after = _polls_counted(client.get("/metrics").text)
    assert after - before == 3


def test_the_polled_endpoints_answer_like_any_other_route(monkeypatch):
    """They run as plain ASGI endpoints (compass.web.common.asgi_endpoint): other methods,
    HEAD, errors and the route's name behave as for the function endpoints."""
    from starlette.testclient import TestClient

    from app import create_app
    from compass import queue
    from compass.settings import Settings
    from compass.web import status
    from tests.fakes.web_app import Queue

    with web_client() as (client, _):
        add_order(db_of(client), 1)
        public_id = _public_id(db_of(client))
        for path in (f"/status/{public_id}/progress", f"/api/orders/{public_id}/status"):
            refused = client.post(path)
            assert refused.status_code == 405 and "Not allowed" in refused.text, path
            # Starlette lists the methods from a set: their order varies between runs.
            assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD"}, path
            head = client.head(path)
            assert head.status_code == 200 and head.content == b"", path
            assert "x-request-id" in head.headers and "no-store" in head.headers["cache-control"]
        names = {route.name for route in client.app.routes}  # type: ignore[attr-defined]
        assert {"progress_fragment", "status_json"} <= names

    def broken(db, public_id):
        raise RuntimeError("boom")

    monkeypatch.setattr(status.store.orders, "status_view", broken)
    with queue.replaced(process_order=Queue()), \
            TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        for path in ("/status/anything/progress", "/api/orders/anything/status"):
            response = c.get(path)
            assert response.status_code == 500, path
            assert "Sorry, something went wrong" in response.text and "boom" not in response.text
