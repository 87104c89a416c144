"""The operator's command line: orders list|show, retry, refund, resend, login-link."""

from __future__ import annotations

import pytest

from compass import cli, clock, store
from tests.factories import add_order


@pytest.fixture
def queue():
    from compass import queue as work

    jobs: list[tuple[int, str]] = []
    with work.replaced(process_order=lambda order_id, tier: jobs.append((order_id, tier))):
        yield jobs


@pytest.fixture
def dispatched():
    from compass import queue

    sent: dict[str, list[int]] = {"emails": [], "refunds": []}
    with queue.replaced(send_email=sent["emails"].append,
                        process_refund=sent["refunds"].append):
        yield sent


def complete(db, order_id: int) -> None:
    with store.transaction(db):
        store.orders.set_status(db, order_id, from_status="paid", to_status="processing")
        store.orders.set_status(db, order_id, from_status="processing", to_status="completed",
                                fields={"completed_at": clock.now_iso(),
                                        "result_json": '{"qa": {"score": 8, "attempts": 1}}'})
        payment = store.payments.insert(
            db, order_id=order_id, provider="dev", checkout_session_id=f"cs_{order_id}",
            checkout_url="http://x", amount_cents=14900, currency="usd", expires_at=None)
        store.payments.update(db, payment, status="succeeded", payment_intent_id=f"pi_{order_id}")


def test_orders_list_searches_and_filters(db, capsys):
    for n in range(1, 4):
        add_order(db, n)
    complete(db, 2)
    assert cli.main(["orders", "list"]) == 0
    out = capsys.readouterr().out
    assert out.index("ORD-2026-000003") < out.index("ORD-2026-000001")
    assert cli.main(["orders", "list", "owner2@"]) == 0
    out = capsys.readouterr().out
    assert "ORD-2026-000002" in out and "ORD-2026-000001" not in out
    assert cli.main(["orders", "list", "--status", "paid"]) == 0
    out = capsys.readouterr().out
    assert "ORD-2026-000002" not in out and "ORD-2026-000003" in out


def test_orders_show_has_timeline_ai_and_payments(db, capsys):
    add_order(db, 1)
    complete(db, 1)
    assert cli.main(["orders", "show", "ORD-2026-000001"]) == 0
    out = capsys.readouterr().out
    assert "payment_pending → paid" in out
    assert "AI: 1 calls, 1,201 in / 800 out" in out and "$0.0090" in out
    assert "dev cs_1 succeeded $149" in out and "QA: 8/10" in out
    with pytest.raises(SystemExit, match="no order"):
        cli.main(["orders", "show", "ORD-2099-000009"])


def test_retry_queues_a_stuck_order_and_refuses_the_others(db, queue, capsys):
    for n in range(1, 4):
        add_order(db, n)
    db.conn.execute("UPDATE orders SET status = 'processing', lease_owner = 'w:1:x',"
                    " lease_expires_at = '2999-01-01T00:00:00.000000Z' WHERE id = 2")
    db.conn.execute("UPDATE orders SET status = 'failed' WHERE id = 3")
    assert cli.main(["retry", "ORD-2026-000001"]) == 0
    assert queue == [(1, "standard")]
    assert cli.main(["retry", "ORD-2026-000002"]) == 1
    assert "is running it now" in capsys.readouterr().err
    assert cli.main(["retry", "ORD-2026-000003"]) == 1
    assert "refunded automatically" in capsys.readouterr().err
    assert queue == [(1, "standard")]


def test_resend_sends_a_new_message_and_checks_the_state(db, dispatched, capsys):
    add_order(db, 1)
    complete(db, 1)
    assert cli.main(["resend", "ORD-2026-000001", "report_ready"]) == 0
    (first,) = db.query("SELECT * FROM emails WHERE kind = 'report_ready'")
    db.conn.execute("UPDATE emails SET status = 'sent', attempts = 1 WHERE id = ?", [first["id"]])
    assert cli.main(["resend", "ORD-2026-000001", "report_ready"]) == 0
    (again,) = db.query("SELECT * FROM emails WHERE kind = 'report_ready'")
    assert again["status"] == "pending" and again["attempts"] == 0
    assert again["message_id"] != first["message_id"]
    assert dispatched["emails"].count(first["id"]) >= 2
    assert cli.main(["resend", "ORD-2026-000001", "refund_processed"]) == 1
    assert "does not fit" in capsys.readouterr().err


def test_refund_creates_one_admin_refund(db, dispatched, capsys):
    add_order(db, 1)
    complete(db, 1)
    assert cli.main(["refund", "ORD-2026-000001", "--reason", "goodwill", "--by",
                     "ops@example.com"]) == 0
    (refund,) = db.query("SELECT * FROM refunds")
    assert refund["kind"] == "admin" and refund["status"] == "processing"
    assert refund["amount_cents"] == 14900 and refund["decided_by"] == "admin:ops@example.com"
    assert dispatched["refunds"] == [refund["id"]]
    assert cli.main(["refund", "ORD-2026-000001"]) == 1
    assert "already being made" in capsys.readouterr().err
    add_order(db, 2)
    assert cli.main(["refund", "ORD-2026-000002"]) == 1  # paid, not finished


def test_login_link_for_support(db, capsys):
    add_order(db, 1)
    assert cli.main(["login-link", "Owner1@Example.com"]) == 0
    link = capsys.readouterr().out.strip()
    assert "/login/" in link and len(link.rsplit("/", 1)[1]) >= 20
    assert cli.main(["login-link", "stranger@example.com"]) == 1
