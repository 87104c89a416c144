"""kill -9 of the web between the webhook's commit and its enqueue: the payment, the
order's job and the receipt are committed with their outbox rows, and the worker's sweep
queues what the dead web never did. The receipt arrives within seconds, not minutes."""

from __future__ import annotations

import re
import sqlite3
import time

import httpx
import pytest

from compass import queue, store
from tests.factories import ANSWERS, checkout_paid_order
from tests.fakes.processes import procfile_stack, read, tail
from tests.fakes.smtp import smtp_server


def test_the_outbox_row_commits_with_the_transaction_and_goes_once_queued(db):
    sent = []
    with queue.replaced(process_order=lambda *args: sent.append(args)), \
            pytest.raises(RuntimeError), store.transaction(db):
        queue.after_commit(db, "process_order", 7, "starter")
        assert db["outbox"].count == 1
        raise RuntimeError("rolled back")
    assert db["outbox"].count == 0 and sent == []  # dropped with its transaction
    with queue.replaced(process_order=lambda *args: sent.append(args)):
        with store.transaction(db):
            queue.after_commit(db, "process_order", 7, "starter")
        assert sent == [(7, "starter")] and db["outbox"].count == 0


def test_a_lost_enqueue_is_replayed_from_the_outbox(db):
    def crash(*args):
        raise ConnectionError("the queue is gone")

    with queue.replaced(send_email=crash):
        order = checkout_paid_order(db, "standard")  # the receipt's enqueue fails after the commit
    [row] = list(db["outbox"].rows)
    assert row["job"] == "send_email"
    sent = []
    with queue.replaced(send_email=sent.append):
        assert queue.replay_outbox(db) == []  # too fresh: its own process may queue it yet
        assert queue.replay_outbox(db, grace_seconds=-1) == [f"send_email({sent[0]})"]
    assert store.emails.get(db, sent[0])["order_id"] == order["id"]
    assert db["outbox"].count == 0


def test_kill_9_between_webhook_commit_and_enqueue_delays_the_receipt_by_seconds(tmp_path):
    with smtp_server() as (mailbox, smtp_port):
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
               "SWEEP_SECONDS": "1"}
        with procfile_stack(tmp_path, env,
                            replace={"web": ("app:app", "tests.fakes.crashing_web:app")}
                            ) as (base, logs), httpx.Client(base_url=base, timeout=30) as client:
            form = client.get("/order/new?tier=starter")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            placed = client.post("/orders", data=ANSWERS | {"csrf_token": token,
                                                            "tier": "starter"})
            checkout = placed.headers["location"]
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              client.get(checkout).text).group(1)
            with pytest.raises(httpx.TransportError):  # the web dies inside the webhook
                client.post(checkout, data={"csrf_token": token,
                                            "card_number": "4242 4242 4242 4242"})
            killed = time.monotonic()
            db = sqlite3.connect(tmp_path / "data" / "compass.db")
            assert db.execute("SELECT status FROM orders").fetchall() == [("paid",)]
            assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] >= 1
            try:
                mailbox.wait_for(1, timeout=60)
            except AssertionError:
                raise AssertionError(tail(logs)) from None
            receipt_after = time.monotonic() - killed
            assert mailbox.messages()[0]["X-Compass-Email"] == "payment_confirmation"
            # The order's own job came through the outbox too: the report follows.
            mailbox.wait_for(2, timeout=120)
            assert [m["X-Compass-Email"] for m in mailbox.messages()] == [
                "payment_confirmation", "report_ready"]
            assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
            assert "queued" in read(logs["worker"]) and "crashed process" in read(logs["worker"])
            db.close()
    print(f"receipt {receipt_after:.1f} s after the web was killed")
