"""The model API refused (overloaded, 529) for a while, with the Procfile's real processes:
an order cut mid-samples and one paid during the outage both wait it out (still
`processing`, "Delayed — waiting for the AI service"), then complete once it answers again;
nothing is refunded and no answer is paid for twice (counted at the local Messages API).

The schedule is shortened (retries from 1 s, at most 3 s apart, no SDK retries; the outage
lasts 20 s): what matters is that waiting is bounded by the tier's delivery time, not by a
count of attempts — before, three attempts 2 minutes apart refunded every order of a
10-minute outage."""

from __future__ import annotations

import collections
import hashlib
import json
import sqlite3
import time

import httpx

from tests.fakes.delivery import place_paid_order
from tests.fakes.messages_api import Status, running_server
from tests.fakes.processes import procfile_stack, wait_until

OUTAGE_SECONDS = 20


def query(tmp_path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(tmp_path / "data" / "compass.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_model_outage_is_waited_out_mid_order_and_during_a_payment(tmp_path):
    with running_server(latency=0.5) as api:
        env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.base_url,
               "ANTHROPIC_MAX_RETRIES": "0", "AI_RETRY_BASE_SECONDS": "1",
               "AI_RETRY_MAX_SECONDS": "3"}
        with procfile_stack(tmp_path, env) as (base, logs), \
                httpx.Client(base_url=base, timeout=30) as client:
            def status(public_id: str) -> dict:
                return client.get(f"/api/orders/{public_id}/status").json()

            first = place_paid_order(client, "premium")
            wait_until(lambda: query(tmp_path, "SELECT phase FROM orders")[0][0] == "sample",
                       180, logs, "the first order never reached its samples")
            refused_from = api.request_count
            api.always(Status(529, message="Overloaded"))
            started = time.monotonic()
            second = place_paid_order(client, "standard")  # paid during the outage
            for public_id in (first, second):
                seen = wait_until(lambda p=public_id: status(p)["phase_label"].startswith(
                    "Delayed — we are waiting for the AI service") and status(p), 60, logs,
                    "the order did not say it waits for the AI service")
                assert seen["status"] == "processing" and seen["estimated_completion_time"]
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
            assert query(tmp_path, "SELECT status FROM orders WHERE status = 'failed'") == []
            refused_to = api.request_count
            api.always(None)  # the API answers again
            for public_id in (first, second):
                wait_until(lambda p=public_id: status(p)["status"] == "completed", 240, logs,
                           "the order did not complete after the outage")
            retries = query(tmp_path, "SELECT max(ai_wait_retries) FROM orders")[0][0]
            assert query(tmp_path, "SELECT count(*) FROM refunds")[0][0] == 0
    answered = [r for i, r in enumerate(api.requests) if not refused_from <= i < refused_to]
    bodies = collections.Counter(
        hashlib.sha256(json.dumps(r.body, sort_keys=True).encode()).hexdigest()
        for r in answered)
    twice = [h for h, n in bodies.items() if n > 1]
    print(f"{refused_to - refused_from} requests refused during the outage, up to {retries} "
          f"waits per order; {len(answered)} answered; {len(twice)} answered twice")
    assert twice == []
