"""The worker: leases, progress, results, failures, measured durations, queue priority."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from compass import clock, lifecycle, processing, progress, store
from compass.engine import EngineFailed
from tests.factories import FakeEngine, new_order, paid_order, run_order_with


def test_run_completes_the_order_with_result_progress_and_durations(db):
    order = paid_order(db, tier="premium", status="paid")
    engine = FakeEngine(step=0.01)
    assert run_order_with(db, order["id"], engine) == "completed"
    done = store.orders.get(db, order["id"])
    assert done["status"] == "completed" and done["progress_percent"] == 100
    assert done["phase"] == "done" and done["lease_owner"] is None
    assert '"Reminder bot"' in done["result_json"]
    assert engine.calls == [{"run_id": f"order-{order['public_id']}", "order_id": order["id"],
                             "tier": "premium", "company": "Bright Smile Dental"}]
    assert [e["to_status"] for e in store.orders.events(db, order["id"])][-2:] == \
        ["processing", "completed"]
    durations = {r["phase"]: r["seconds"] for r in db.query("SELECT * FROM phase_durations")}
    assert set(durations) == {"rewrite", "research", "sample", "vote", "proposal", "review"}
    assert durations["sample"] >= 0.015  # two steps were spent in it
    assert all(r["tier"] == "premium" for r in db.query("SELECT tier FROM phase_durations"))


def test_progress_is_visible_to_other_connections_while_running(db, tmp_path):
    order = paid_order(db, status="paid")
    reader = store.connect(tmp_path / "data" / "compass.db")
    seen = []

    def check(percent, phase):
        row = store.orders.get(reader, order["id"])
        seen.append((row["status"], row["progress_percent"], row["phase"], row["phase_label"]))

    run_order_with(db, order["id"], FakeEngine(check=check))
    assert seen[0] == ("processing", 2, "rewrite", "rewrite label")
    assert ("processing", 70, "vote", "vote label") in seen
    assert [s[1] for s in seen] == sorted(s[1] for s in seen)


def test_progress_writes_are_throttled_but_phase_changes_always_land(db, monkeypatch):
    order = paid_order(db, status="paid")
    lifecycle.transition(db, order["id"], "processing")
    store.orders.take_lease(db, order["id"], "me", now=clock.now_iso(), expires_at="9999")
    writes = []
    original = store.orders.write_progress
    monkeypatch.setattr(store.orders, "write_progress",
                        lambda *a, **k: writes.append(k["phase"]) or original(*a, **k))
    writer = processing.ProgressWriter(db, order["id"], "me")
    for percent in range(18, 70):
        writer(percent, "sample", "samples")
    writer(70, "vote", "voting")
    assert writes == ["sample", "vote"]
    assert store.orders.get(db, order["id"])["progress_percent"] == 70


def test_engine_failure_fails_the_order_with_the_reason(db):
    order = paid_order(db, status="paid")
    engine = FakeEngine(fail=EngineFailed("QA scored 5/10 three times"))
    result = run_order_with(db, order["id"], engine)
    failed = store.orders.get(db, order["id"])
    assert result == "failed"
    assert failed["status"] == "failed"
    assert failed["failure_reason"] == "QA scored 5/10 three times"
    assert failed["lease_owner"] is None
    events = store.orders.events(db, order["id"])
    assert (events[-1]["from_status"], events[-1]["to_status"]) == ("processing", "failed")
    assert db["phase_durations"].count == 0  # failed runs do not shape estimates


def test_a_model_outage_is_waited_out_with_backoff_then_fails_at_the_tiers_limit(db):
    order = paid_order(db, tier="premium", status="paid")
    down = EngineFailed("the AI service is not available (overloaded)", retryable=True)
    delays = []
    for _attempt in range(4):  # huey's attempts do not bound it: the tier's time does
        with pytest.raises(processing.RetryLater) as later:
            run_order_with(db, order["id"], FakeEngine(fail=down), can_retry=False)
        delays.append(later.value.delay)
        waiting = store.orders.get(db, order["id"])
        assert waiting["status"] == "processing" and waiting["lease_owner"] is None
        assert waiting["phase_label"].startswith("Delayed — we are waiting for the AI service")
    assert delays == [30, 60, 120, 240]  # doubling, from AI_RETRY_BASE_SECONDS
    # An honest estimate: not before the next try.
    estimate = progress.estimated_completion(db, waiting)
    assert estimate >= waiting["ai_retry_at"][:19]
    assert db["refunds"].count == 0
    # Half the premium tier's 6 hours have passed since payment: fail, refunded, truthfully.
    db.execute("UPDATE orders SET paid_at = ?", [clock.iso(clock.now() - dt.timedelta(hours=3))])
    assert run_order_with(db, order["id"], FakeEngine(fail=down)) == "failed"
    failed = store.orders.get(db, order["id"])
    assert failed["failure_reason"].startswith("the AI service is not available (overloaded); "
                                               "waited ")
    assert "50% of the Premium delivery time" in failed["failure_reason"]
    assert progress.failure_words(failed["failure_reason"]).startswith(
        "Our AI provider was unavailable for too long")
    assert db["refunds"].count == 1


def test_a_bad_report_fails_at_once_even_with_retries_left(db):
    order = paid_order(db, status="paid")
    engine = FakeEngine(fail=EngineFailed("QA 4/10"))
    assert run_order_with(db, order["id"], engine, can_retry=True) == "failed"


def test_a_crash_releases_the_lease_so_a_retry_can_finish(db):
    order = paid_order(db, status="paid")
    with pytest.raises(ZeroDivisionError):
        run_order_with(db, order["id"], FakeEngine(fail=ZeroDivisionError()))
    crashed = store.orders.get(db, order["id"])
    assert crashed["status"] == "processing" and crashed["lease_owner"] is None
    assert run_order_with(db, order["id"], FakeEngine()) == "completed"


def test_a_live_lease_keeps_other_workers_out_until_it_expires(db):
    order = paid_order(db, status="paid")
    lifecycle.transition(db, order["id"], "processing")
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    store.orders.take_lease(db, order["id"], "other-worker", now=clock.now_iso(), expires_at=future)
    engine = FakeEngine()
    assert run_order_with(db, order["id"], engine) == "leased_elsewhere"
    assert engine.calls == []
    # The other worker died: its lease lapses and the order can be taken again.
    db.execute("UPDATE orders SET lease_expires_at = '2000-01-01T00:00:00.000000Z'")
    assert run_order_with(db, order["id"], engine) == "completed"


def test_two_workers_racing_on_one_order_run_it_once(db, tmp_path):
    order = paid_order(db, status="paid")
    engine = FakeEngine(step=0.02)
    path = tmp_path / "data" / "compass.db"

    async def both():
        first, second = store.connect(path), store.connect(path)
        return await asyncio.gather(
            processing.run_order(first, order["id"], engine=engine, provider=object(), owner="a"),
            processing.run_order(second, order["id"], engine=engine, provider=object(), owner="b"))

    outcomes = asyncio.run(both())
    assert sorted(outcomes) == ["completed", "leased_elsewhere"]
    assert len(engine.calls) == 1


def test_orders_that_are_not_paid_are_not_run(db):
    order = new_order(db)
    engine = FakeEngine()
    assert run_order_with(db, order["id"], engine) == "not_runnable:payment_pending"
    assert run_order_with(db, 12345, engine) == "missing"
    assert engine.calls == []


def test_estimates_use_measured_durations_once_there_are_any(db, monkeypatch):
    monkeypatch.setattr(progress, "_RECHECK_SECONDS", 0)  # no waiting out the 1 s cache
    order = paid_order(db, status="paid")
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    default = progress.estimated_completion(db, store.orders.get(db, order["id"]), now)
    assert default == "2026-03-01T12:04:10Z"  # the tier defaults: 250 s for standard
    store.orders.insert_phase_durations(db, order["id"], "standard",
                                        {p: 10.0 for p in progress.PHASES if p != "grouper"})
    measured = progress.estimated_completion(db, store.orders.get(db, order["id"]), now)
    assert measured == "2026-03-01T12:01:00Z"  # six measured phases of 10 s
    # Mid-run: 4 s into the 10 s sample phase leaves 6 s of it plus vote, proposal, review.
    db.execute("UPDATE orders SET status = 'processing', phase = 'sample',"
               " phase_started_at = '2026-03-01T11:59:56.000000Z' WHERE id = ?", [order["id"]])
    running = progress.estimated_completion(db, store.orders.get(db, order["id"]), now)
    assert running == "2026-03-01T12:00:36Z"
    # Another tier without measurements borrows these rather than the constants.
    premium = paid_order(db, tier="premium", status="paid")
    assert progress.estimated_completion(db, store.orders.get(db, premium["id"]), now) == \
        "2026-03-01T12:01:00Z"


def test_estimate_is_none_for_orders_that_will_not_complete(db):
    order = new_order(db)
    assert progress.estimated_completion(db, order) is None
    lifecycle.transition(db, order["id"], "expired")
    assert progress.estimated_completion(db, store.orders.get(db, order["id"])) is None


def test_premium_jobs_are_dequeued_before_starter_jobs(tmp_path, monkeypatch):
    from huey.storage import SqliteStorage

    import jobs

    storage = SqliteStorage("prio", filename=str(tmp_path / "q.db"))
    monkeypatch.setattr(jobs.huey, "storage", storage)
    jobs.tasks.enqueue_order(1, "starter")
    jobs.tasks.enqueue_order(2, "premium")
    jobs.tasks.enqueue_order(3, "standard")
    order = [jobs.huey.dequeue().args[0] for _ in range(3)]
    assert order == [2, 3, 1]
