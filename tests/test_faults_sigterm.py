"""SIGTERM of the worker mid-samples (a deploy) is a drain: no new model call starts, the
calls in flight finish and are stored, the order is given back; the next worker resumes it
from the call ledger. Counted at the local Messages API server: no request is sent twice."""

from __future__ import annotations

import collections
import hashlib
import json
import signal
import sqlite3

import httpx

from tests.fakes.delivery import place_paid_order
from tests.fakes.messages_api import running_server
from tests.fakes.processes import procfile_stack, read, restart, tail, wait_until


def phase(tmp_path) -> str | None:
    conn = sqlite3.connect(tmp_path / "data" / "compass.db")
    try:
        row = conn.execute("SELECT phase FROM orders").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def test_sigterm_mid_samples_pays_for_no_answer_twice(tmp_path):
    with running_server(latency=4.0) as api:
        env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.base_url,
               "WORKER_DRAIN_SECONDS": "25"}
        state: dict = {}
        with procfile_stack(tmp_path, env, state=state) as (base, logs), \
                httpx.Client(base_url=base, timeout=30) as client:
            public_id = place_paid_order(client, "premium")
            wait_until(lambda: phase(tmp_path) == "sample" and api.in_flight >= 2, 180, logs,
                       "the samples never started")
            in_flight = api.in_flight
            worker = state["processes"]["worker"]
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(45)
            log = read(logs["worker"])
            assert code == 0, tail(logs)
            assert "draining" in log, tail(logs)
            # Every call in flight was let finish and stored (a call that was still waiting
            # for rate-limit room when the signal came may have gone out meanwhile).
            assert "calls in flight stored, 0 unfinished; lease given back" in log, tail(logs)
            restart(state, "worker")
            wait_until(lambda: client.get(f"/api/orders/{public_id}/status").json()["status"]
                       == "completed", 240, logs, "the order did not complete after restart")
    bodies = collections.Counter(
        hashlib.sha256(json.dumps(r.body, sort_keys=True).encode()).hexdigest()
        for r in api.requests)
    twice = [h for h, n in bodies.items() if n > 1]
    print(f"{in_flight} call(s) in flight at SIGTERM; {len(api.requests)} requests in all; "
          f"{len(twice)} sent twice")
    assert twice == []
