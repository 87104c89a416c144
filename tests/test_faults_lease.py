"""A worker that lost its lease (frozen past it while another worker took the order) stops
before its next model call and writes nothing more: the real engine, the offline model
behind a gate that freezes worker A mid-samples, and worker B taking over."""

from __future__ import annotations

import asyncio

from compass import processing, store
from compass.engine.offline import OfflineProvider
from tests.factories import checkout_paid_order


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

    async def complete(self, request, *, on_started=None):
        self.started += 1
        if self.thaw.is_set():
            self.started_after_thaw += 1
        if self.started >= self.freeze_at and not self.thaw.is_set():
            self.frozen.set()
            await self.thaw.wait()
        return await self.inner.complete(request, on_started=on_started)

    async def aclose(self) -> None:
        return None


class CountingProvider(OfflineProvider):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def complete(self, request, *, on_started=None):
        self.calls += 1
        return await super().complete(request, on_started=on_started)


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
