"""Order transitions, and the double-fulfilment race against a real SQLite file."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from huey import SqliteHuey

from compass import lifecycle, payments, queue, store
from tests.factories import new_order


def test_create_order_numbers_and_first_event(db):
    first, second = new_order(db), new_order(db, "premium")
    assert first["status"] == "payment_pending"
    assert first["order_number"].endswith("-000001") and second["order_number"].endswith("-000002")
    assert first["public_id"] != second["public_id"] and len(first["public_id"]) >= 22
    assert second["amount_cents"] == 39900
    assert [(e["from_status"], e["to_status"]) for e in store.orders.events(db, first["id"])] == \
        [(None, "payment_pending")]


def test_the_whole_happy_path_is_logged(db):
    order = new_order(db)
    for status in ("paid", "processing", "completed", "refunded"):
        order = lifecycle.transition(db, order["id"], status, reason=f"to {status}")
    events = store.orders.events(db, order["id"])
    assert [(e["from_status"], e["to_status"]) for e in events][1:] == [
        ("payment_pending", "paid"), ("paid", "processing"), ("processing", "completed"),
        ("completed", "refunded")]
    assert order["paid_at"] and order["started_at"] and order["completed_at"]


@pytest.mark.parametrize("path", [
    ["completed"], ["processing"], ["paid", "completed"], ["paid", "expired"],
    ["expired", "processing"], ["paid", "processing", "failed", "completed"], ["refunded"],
])
def test_illegal_transitions_raise_and_change_nothing(db, path):
    order = new_order(db)
    *legal, illegal = path
    for status in legal:
        lifecycle.transition(db, order["id"], status)
    before = store.orders.get(db, order["id"])
    events = len(store.orders.events(db, order["id"]))
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.transition(db, order["id"], illegal)
    assert store.orders.get(db, order["id"]) == before
    assert len(store.orders.events(db, order["id"])) == events


def test_failed_can_be_refunded_and_expired_only_revives_when_paid(db):
    order = new_order(db)
    for status in ("paid", "processing", "failed", "refunded"):
        lifecycle.transition(db, order["id"], status)
    other = new_order(db)
    lifecycle.transition(db, other["id"], "expired")
    for status in ("processing", "refunded", "completed"):
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.transition(db, other["id"], status)
    lifecycle.transition(db, other["id"], "paid")  # paid after expiry: revived


def test_transition_hooks_run_in_the_same_transaction(db):
    seen = []

    def hook(db_, order, from_status, to_status):
        seen.append((order["status"], from_status, to_status, db_.conn.in_transaction))
        if to_status == "processing":
            raise RuntimeError("hook failed")

    lifecycle.on_transition(hook)
    try:
        order = new_order(db)
        lifecycle.transition(db, order["id"], "paid")
        with pytest.raises(RuntimeError):
            lifecycle.transition(db, order["id"], "processing")
    finally:
        lifecycle._hooks.remove(hook)
    assert seen[0] == ("paid", "payment_pending", "paid", True)
    # The failing hook rolled the transition back with it.
    assert store.orders.get(db, order["id"])["status"] == "paid"


def test_unknown_order_raises(db):
    with pytest.raises(lifecycle.OrderNotFound):
        lifecycle.transition(db, 999, "paid")


# -- the double-fulfilment race ------------------------------------------------------------------

def _paid_session(db, order: dict) -> dict:
    session_id = f"cs_test_race_{order['id']}"
    store.payments.insert(db, order_id=order["id"], provider="stripe",
                          checkout_session_id=session_id, checkout_url="https://x",
                          amount_cents=order["amount_cents"], currency="usd", expires_at=None)
    return {"id": session_id, "object": "checkout.session", "payment_status": "paid",
            "status": "complete", "amount_total": order["amount_cents"], "currency": "usd",
            "client_reference_id": order["public_id"], "payment_intent": f"pi_{order['id']}"}


def _queue(path: Path):
    huey = SqliteHuey("race", filename=str(path))

    @huey.task()
    def job(order_id: int) -> None:  # only ever counted, never run
        pass

    return huey, lambda order_id, tier: job(order_id)


def test_success_page_and_webhook_together_make_one_paid_order_and_one_job(tmp_path):
    path = tmp_path / "race.db"
    db = store.open_database(path)
    huey, enqueue = _queue(tmp_path / "queue.db")
    rounds = 25
    orders = [new_order(db) for _ in range(rounds)]
    sessions = [_paid_session(db, order) for order in orders]
    outcomes: list[str] = []

    for session in sessions:
        barrier = threading.Barrier(2)

        def success_page(session=session, barrier=barrier):
            conn = store.connect(path)
            barrier.wait()
            outcomes.append(payments.fulfil(conn, session))
            conn.conn.close()

        def webhook(session=session, barrier=barrier):
            conn = store.connect(path)
            event = payments.build_event("checkout.session.completed", session)
            barrier.wait()
            outcomes.append(payments.handle_event(conn, event))
            conn.conn.close()

        threads = [threading.Thread(target=success_page), threading.Thread(target=webhook)]
        with queue.replaced(process_order=enqueue):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    assert outcomes.count("fulfilled") == rounds
    assert outcomes.count("already_fulfilled") == rounds
    assert huey.pending_count() == rounds
    assert sorted(huey.dequeue().args[0] for _ in range(rounds)) == [o["id"] for o in orders]
    for order in orders:
        assert store.orders.get(db, order["id"])["status"] == "paid"
        assert [e["to_status"] for e in store.orders.events(db, order["id"])].count("paid") == 1


def _fulfil_all(path: str, queue_path: str, sessions: list[dict], start) -> None:
    db = store.connect(path)
    _, enqueue = _queue(Path(queue_path))
    start.wait()
    with queue.replaced(process_order=enqueue):
        for session in sessions:
            payments.fulfil(db, session)


def test_two_processes_fulfilling_the_same_orders_enqueue_each_once(tmp_path):
    path = tmp_path / "race.db"
    db = store.open_database(path)
    huey, _ = _queue(tmp_path / "queue.db")
    orders = [new_order(db, "premium") for _ in range(40)]
    sessions = [_paid_session(db, order) for order in orders]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_fulfil_all,
                               args=(str(path), str(tmp_path / "queue.db"), order_of, start))
               for order_of in (sessions, list(reversed(sessions)))]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert huey.pending_count() == len(orders)
    assert {r["status"] for r in db.query("SELECT status FROM orders")} == {"paid"}
    assert db.execute("SELECT count(*) FROM order_events WHERE to_status = 'paid'").fetchone()[0] \
        == len(orders)
