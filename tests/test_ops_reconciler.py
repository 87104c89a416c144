"""The reconciler on each stuck state, and run twice at once."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest

from compass import queue, reconciler, store
from tests.factories import add_order

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def iso(delta: dt.timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ago(**kw: float) -> str:
    return iso(-dt.timedelta(**kw))


def set_order(db, order_id: int, **fields) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in fields)
    db.conn.execute(f"UPDATE orders SET {assignments} WHERE id = :id", fields | {"id": order_id})


@pytest.fixture
def queued():
    jobs: list[tuple[int, str]] = []
    return jobs


@pytest.fixture
def emails_dispatched():
    from compass import queue

    sent: list[int] = []
    with queue.replaced(send_email=sent.append):
        yield sent


def test_orders_that_lost_their_wake_up_call_are_requeued(db, queued):
    for n in range(1, 8):
        add_order(db, n)
    quiet = ago(minutes=5)
    # 1: paid five minutes ago, never started (the enqueue after payment was lost).
    set_order(db, 1, paid_at=quiet, updated_at=quiet)
    # 2: processing, its worker died: the lease expired.
    set_order(db, 2, status="processing", lease_owner="h:1:a", lease_expires_at=ago(minutes=1),
              updated_at=quiet)
    # 3: processing, the lease was given back at shutdown.
    set_order(db, 3, status="processing", updated_at=quiet)
    # 4: processing under a live lease: a worker is on it.
    set_order(db, 4, status="processing", lease_owner="h:1:b",
              lease_expires_at=iso(dt.timedelta(minutes=4)), updated_at=quiet)
    # 5: paid a few seconds ago: its first task is still on its way.
    set_order(db, 5, paid_at=ago(seconds=5), updated_at=ago(seconds=5))
    # 6: finished.
    set_order(db, 6, status="completed", updated_at=quiet)
    # 7: paid long ago but its task is waiting in the queue (a busy worker).
    set_order(db, 7, updated_at=quiet)

    with queue.replaced(process_order=lambda i, t: queued.append((i, t))):
        requeued = reconciler.requeue_orphans(db, already_queued={7}, now=NOW)
    assert sorted(queued) == [(1, "standard"), (2, "standard"), (3, "standard")]
    assert requeued == ["ORD-2026-000001", "ORD-2026-000002", "ORD-2026-000003"]


def test_abandoned_checkouts_expire_after_a_day(db):
    def pending(n: int, created: str, payment_status: str | None, payment_created: str) -> int:
        with store.transaction(db):
            customer = store.customers.upsert(
                db, email=f"c{n}@example.com", name="C", company_name="Co",
                company_website="", industry="", company_size="")
            order_id = store.orders.insert(
                db, public_id=f"pub-{n:06d}-abcdefgh", order_number=f"ORD-2026-{n:06d}",
                customer_id=customer, tier="starter", amount_cents=4900, currency="usd",
                input_json="{}")
            set_order(db, order_id, created_at=created)
            if payment_status:
                payment = store.payments.insert(
                    db, order_id=order_id, provider="dev", checkout_session_id=f"cs_{n}",
                    checkout_url="http://x", amount_cents=4900, currency="usd", expires_at=None)
                db.conn.execute("UPDATE payments SET status = ?, created_at = ? WHERE id = ?",
                                (payment_status, payment_created, payment))
        return order_id

    old = ago(hours=25)
    walked_away = pending(1, old, "open", old)
    retried_recently = pending(2, old, "open", ago(hours=2))
    bank_debit = pending(3, old, "processing", old)
    fresh = pending(4, ago(hours=3), "open", ago(hours=3))
    never_reached_stripe = pending(5, old, None, old)

    expired = reconciler.expire_abandoned_checkouts(db, now=NOW)
    assert expired == ["ORD-2026-000001", "ORD-2026-000005"]
    status = {r["id"]: r["status"] for r in db.query("SELECT id, status FROM orders")}
    assert status[walked_away] == status[never_reached_stripe] == "expired"
    assert status[retried_recently] == status[bank_debit] == status[fresh] == "payment_pending"
    events = list(db.query("SELECT * FROM order_events WHERE to_status = 'expired'"))
    assert len(events) == 2 and "abandoned" in events[0]["reason"]
    # A second run finds nothing to do.
    assert reconciler.expire_abandoned_checkouts(db, now=NOW) == []


def test_two_reconcilers_at_once_expire_each_order_once(tmp_path):
    path = tmp_path / "data" / "compass.db"
    db = store.open_database(path)
    with store.transaction(db):
        customer = store.customers.upsert(db, email="c@example.com", name="C", company_name="Co",
                                          company_website="", industry="", company_size="")
        for n in range(1, 21):
            order_id = store.orders.insert(
                db, public_id=f"pub-{n:06d}-abcdefgh", order_number=f"ORD-2026-{n:06d}",
                customer_id=customer, tier="starter", amount_cents=4900, currency="usd",
                input_json="{}")
            set_order(db, order_id, created_at=ago(hours=30))
    db.conn.close()

    results: list[list[str]] = []

    def run() -> None:
        own = store.connect(path)
        results.append(reconciler.expire_abandoned_checkouts(own, now=NOW))
        own.conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results[0] + results[1]) == [f"ORD-2026-{n:06d}" for n in range(1, 21)]
    check = store.connect(path)
    (events,) = check.conn.execute(
        "SELECT count(*) FROM order_events WHERE to_status = 'expired'").fetchone()
    assert events == 20


def test_still_processing_email_past_half_the_delivery_time_once(db, emails_dispatched):
    for n in range(1, 4):
        add_order(db, n)
    # Premium promises 6 h: 4 h after payment is past half. Standard promises 12 h.
    set_order(db, 1, tier="premium", status="processing", paid_at=ago(hours=4))
    set_order(db, 2, tier="standard", status="processing", paid_at=ago(hours=4))
    set_order(db, 3, tier="starter", paid_at=ago(hours=13))

    assert reconciler.send_still_processing(db, now=NOW) == ["ORD-2026-000001",
                                                              "ORD-2026-000003"]
    rows = list(db.query("SELECT order_id, kind, status FROM emails ORDER BY order_id"))
    assert [(r["order_id"], r["kind"]) for r in rows] == [(1, "still_processing"),
                                                          (3, "still_processing")]
    assert len(emails_dispatched) == 2
    # Run again (or at the same time elsewhere): nothing new.
    assert reconciler.send_still_processing(db, now=NOW) == []
    assert db.conn.execute("SELECT count(*) FROM emails").fetchone()[0] == 2


def test_leases_of_dead_workers_on_this_host_are_given_back(db):
    host = socket.gethostname()
    for n in range(1, 5):
        add_order(db, n)
        set_order(db, n, status="processing", lease_expires_at=iso(dt.timedelta(minutes=4)))
    set_order(db, 1, lease_owner=f"{host}:4000001:dead")
    set_order(db, 2, lease_owner=f"{host}:4000002:alive")
    set_order(db, 3, lease_owner=f"{host}:777:mine")
    set_order(db, 4, lease_owner="other-machine:4000001:x")

    released = reconciler.release_dead_leases(db, host=host, my_pid=777,
                                              alive=lambda pid: pid == 4000002)
    assert released == ["ORD-2026-000001"]
    owners = {r["id"]: r["lease_owner"] for r in db.query("SELECT id, lease_owner FROM orders")}
    assert owners[1] is None and owners[2] and owners[3] and owners[4]


def test_a_stopping_worker_gives_back_only_its_own_leases(db):
    for n in range(1, 4):
        add_order(db, n)
        set_order(db, n, status="processing", lease_expires_at=iso(dt.timedelta(minutes=4)))
    set_order(db, 1, lease_owner="box:42:aaaa")
    set_order(db, 2, lease_owner="box:42:bbbb")
    set_order(db, 3, lease_owner="box:420:cccc")  # a prefix match must not catch pid 420
    assert reconciler.release_process_leases(db, host="box", pid=42) == [
        "ORD-2026-000001", "ORD-2026-000002"]
    owners = [r["lease_owner"] for r in db.query("SELECT lease_owner FROM orders ORDER BY id")]
    assert owners == [None, None, "box:420:cccc"]


def test_daily_summary_goes_to_each_admin_once(db, tmp_path, monkeypatch, emails_dispatched):
    from compass.settings import get_settings
    from jobs import reconciler as worker_reconciler

    monkeypatch.setenv("ADMIN_EMAILS", "Ops@Example.com, owner@example.com")
    get_settings.cache_clear()
    add_order(db, 1)
    day = dt.datetime.now(dt.UTC).date()
    assert len(worker_reconciler.send_daily_summary(day)) == 2
    assert worker_reconciler.send_daily_summary(day) == []
    rows = list(db.query("SELECT to_address, kind, context_json FROM emails ORDER BY id"))
    assert [r["to_address"] for r in rows] == ["ops@example.com", "owner@example.com"]
    assert all(r["kind"] == "daily_summary" for r in rows)
    assert "Orders paid" in rows[0]["context_json"] and "$149" in rows[0]["context_json"]
