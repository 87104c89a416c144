"""A worker that lost its lease (frozen past it while another worker took the order) stops
before its next model call and writes nothing more: the real engine, the offline model
behind a gate that freezes worker A mid-samples, and worker B taking over."""

from __future__ import annotations

import asyncio
import types

import pytest

from compass import clock, lifecycle, processing, store
from compass.engine.anthropic_provider import AnthropicProvider
from compass.engine.offline import OfflineProvider
from compass.engine.provider import ModelRequest
from tests.factories import checkout_paid_order
from tests.fakes.messages_api import running_server


class FreezingProvider:
    """The offline model; from call `freeze_at` on, calls wait for `thaw` (SIGSTOP/SIGCONT
    of the worker, as far as the calls in flight are concerned)."""

    name, offline = "offline", True

    def __init__(self, freeze_at: int):
        self.inner = OfflineProvider()
        self.freeze_at = freeze_at
        self.started = 0
        self.started_after_thaw = 0
        self.frozen = asyncio.Event()
        self.thaw = asyncio.Event()

    async def complete(self, request, *, on_started=None, before_send=None):
        self.started += 1
        if self.thaw.is_set():
            self.started_after_thaw += 1
        if self.started >= self.freeze_at and not self.thaw.is_set():
            self.frozen.set()
            await self.thaw.wait()
        return await self.inner.complete(request, on_started=on_started, before_send=before_send)

    async def aclose(self) -> None:
        return None


class CountingProvider(OfflineProvider):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def complete(self, request, *, on_started=None, before_send=None):
        self.calls += 1
        return await super().complete(request, on_started=on_started, before_send=before_send)


def test_a_frozen_worker_that_lost_its_lease_stops_and_writes_nothing(db, tmp_path):
    order = checkout_paid_order(db, "standard")
    path = tmp_path / "data" / "compass.db"
    frozen_worker, new_worker = FreezingProvider(freeze_at=4), CountingProvider()

    async def scenario():
        a_db, b_db = store.connect(path), store.connect(path)
        a = asyncio.create_task(processing.run_order(a_db, order["id"], owner="a",
                                                     provider=frozen_worker))
        await frozen_worker.frozen.wait()
        # A is frozen past its lease; the reconciler hands the order to B, which finishes.
        b_db.execute("UPDATE orders SET lease_expires_at = '2000-01-01T00:00:00.000000Z'")
        b = await processing.run_order(b_db, order["id"], owner="b", provider=new_worker)
        frozen_worker.thaw.set()  # A wakes up
        return await a, b

    a_outcome, b_outcome = asyncio.run(scenario())
    assert (a_outcome, b_outcome) == ("lease_lost", "completed")
    # A let its calls in flight finish, then made no new model call.
    assert frozen_worker.started_after_thaw == 0
    done = store.orders.get(db, order["id"])
    assert done["status"] == "completed" and done["lease_owner"] is None
    events = [e["to_status"] for e in store.orders.events(db, order["id"])]
    assert events.count("completed") == 1 and "failed" not in events
    assert store.reports.versions(db, order["id"]) == []  # no report version from A
    assert new_worker.calls > 0


def test_a_call_waiting_for_a_slot_past_the_lease_is_never_sent(db):
    """The frozen-worker case inside one process: the second call waits for the provider's
    only concurrency slot while the first is at the API; meanwhile the order passes to
    another worker. When the slot frees, the second call stops unsent."""
    order = checkout_paid_order(db, "standard")
    lifecycle.transition(db, order["id"], "processing")
    with store.transaction(db):
        assert store.orders.take_lease(db, order["id"], "a", now=clock.now_iso(),
                                       expires_at=clock.iso_in(300))
    request = ModelRequest(
        phase="sample", model="claude-sonnet-5-5", effort="medium", system="Be brief.",
        shared_context="", prompt="Reply.", schema={"title": "Sample", "type": "object"},
        max_tokens=1000)

    with running_server(latency=1.0) as api:
        async def scenario():
            inner = AnthropicProvider("sk-ant-test-0123456789", base_url=api.base_url,
                                      max_concurrency=1, max_retries=0)
            leased = processing.LeasedProvider(inner, db, order["id"], "a",
                                               types.SimpleNamespace(lease_lost=False))
            first = asyncio.create_task(leased.complete(request))
            while api.in_flight < 1:  # the first holds the slot, at the API
                await asyncio.sleep(0.01)
            second = asyncio.create_task(leased.complete(request))
            await asyncio.sleep(0.1)  # waiting for the slot, past the first check
            # Worker "a" froze past its lease; "b" takes the order.
            db.execute("UPDATE orders SET lease_owner = 'b' WHERE id = ?", [order["id"]])
            await first  # was at the API: it finishes (it is paid for)
            with pytest.raises(processing.LeaseLost):
                await second
            await inner.aclose()

        asyncio.run(scenario())
        assert len(api.requests) == 1


def test_the_heartbeat_never_takes_back_a_lease_another_worker_holds(db):
    order = checkout_paid_order(db, "standard")
    with store.transaction(db):
        assert store.orders.take_lease(db, order["id"], "a", now="2000-01-01T00:00:00Z",
                                       expires_at="2000-01-01T00:05:00Z")
    db.execute("UPDATE orders SET status = 'processing'")
    # A's lease lapsed; B took the order.
    assert store.orders.take_lease(db, order["id"], "b", now="2001-01-01T00:00:00Z",
                                   expires_at="2999-01-01T00:00:00Z")
    assert not store.orders.renew_lease(db, order["id"], "a", expires_at="2999-01-01T00:00:00Z")
    assert store.orders.get(db, order["id"])["lease_owner"] == "b"
    assert store.orders.renew_lease(db, order["id"], "b", expires_at="2999-02-01T00:00:00Z")


def test_a_frozen_worker_process_loses_the_order_and_writes_nothing(tmp_path):
    """The same with real processes: SIGSTOP the worker mid-samples past its (short) lease,
    start another, SIGCONT the first. One completion, one report version, and the first
    worker says it stopped; only calls it had already begun when frozen can be bought twice."""
    import collections
    import hashlib
    import json
    import os
    import signal
    import sqlite3
    import time

    import httpx

    from tests.fakes.delivery import place_paid_order
    from tests.fakes.messages_api import running_server
    from tests.fakes.processes import procfile_stack, read, restart, wait_until

    def query(sql: str) -> list[tuple]:
        conn = sqlite3.connect(tmp_path / "data" / "compass.db")
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    with running_server(latency=3.0) as api:
        env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.base_url,
               "ORDER_LEASE_SECONDS": "6"}
        state: dict = {}
        with procfile_stack(tmp_path, env, state=state) as (base, logs), \
                httpx.Client(base_url=base, timeout=30) as client:
            public_id = place_paid_order(client, "premium")
            wait_until(lambda: query("SELECT phase FROM orders")[0][0] == "sample"
                       and api.in_flight >= 1, 180, logs, "the samples never started")
            frozen = state["processes"]["worker"]
            os.kill(frozen.pid, signal.SIGSTOP)
            in_flight = api.in_flight
            time.sleep(8)  # past the lease
            restart(state, "worker")
            wait_until(lambda: f":{frozen.pid}:" not in (
                query("SELECT lease_owner FROM orders")[0][0] or f":{frozen.pid}:"), 60, logs,
                "the new worker did not take the order")
            os.kill(frozen.pid, signal.SIGCONT)
            wait_until(lambda: client.get(f"/api/orders/{public_id}/status").json()["status"]
                       == "completed", 240, logs, "the order did not complete")
            wait_until(lambda: client.get(f"/orders/{public_id}/download").status_code == 200,
                       60, logs, "no PDF")
            wait_until(lambda: "lease lost" in read(logs["worker"]), 60, logs,
                       "the frozen worker did not notice it lost the order")
            events = [e for (e,) in query("SELECT to_status FROM order_events")]
            versions = query("SELECT count(*) FROM report_versions")[0][0]
    assert events.count("completed") == 1 and "failed" not in events
    assert versions == 1
    bodies = collections.Counter(
        hashlib.sha256(json.dumps(r.body, sort_keys=True).encode()).hexdigest()
        for r in api.requests)
    twice = sum(n - 1 for n in bodies.values() if n > 1)
    print(f"{in_flight} call(s) at the API when frozen; {twice} request(s) sent twice")
    # Only calls the frozen worker had already sent can go twice (at most the five samples
    # of one fan-out): a call still waiting for a slot is checked again before it leaves
    # (test_a_call_waiting_for_a_slot_past_the_lease_is_never_sent). None after it.
    assert twice <= 5
