"""Disputes reach the operator at once with the evidence; refunds finish only when Stripe
says so (issue 11). The official SDK against the local Stripe; signed webhook events."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy

import pytest

from compass import insights, notifications, refunds, store
from compass.settings import Settings
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.stripe_api import API_KEY
from tests.fakes.web_app import db_of, web_client
from tests.fakes.web_app import send_event as post_event

WEBHOOK_SECRET = "whsec_test_secret"
ADMIN = "owner@compass.example"
DANA = "dana@brightsmile.example"


@pytest.fixture(autouse=True)
def dispatched():
    with Dispatched() as queued:
        yield queued


@pytest.fixture
def stripe_env(fake_stripe, monkeypatch):
    env = {"STRIPE_SECRET_KEY": API_KEY, "STRIPE_API_BASE": fake_stripe.base_url,
           "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "ADMIN_EMAILS": ADMIN}
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # the email builders read the process's settings
    return env


def send_event(client, event: dict) -> str:
    return post_event(client, event, WEBHOOK_SECRET)


def sent_to(db, data_dir, kind: str) -> list[str]:
    """Deliver the queued emails of `kind` to the outbox; their plain-text bodies."""
    bodies = []
    for row in db.query("SELECT id FROM emails WHERE kind = ?", [kind]):
        assert notifications.deliver(db, row["id"]) == "sent"
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        if kind == "dispute_opened" and "was disputed" in text:
            bodies.append(f"To: {message['To']}\n{text}")
    return bodies


def test_a_dispute_reaches_the_admins_at_once_and_the_order_page_with_evidence(
        fake_stripe, stripe_env, data_dir):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
        intent = store.payments.paid_for_order(db, order["id"])["payment_intent_id"]
        due = 1_900_000_000  # 2030-03-17 17:46 UTC
        opened = fake_stripe.dispute_event("charge.dispute.created", intent,
                                           status="needs_response", due_by=due)
        assert send_event(client, opened) == "dispute_needs_response"
        assert send_event(client, opened) == "duplicate"
        [dispute] = db.query("SELECT * FROM disputes")
        assert dispute["reason"] == "fraudulent" and dispute["amount_cents"] == 14900
        assert dispute["evidence_due_by"].startswith("2030-03-17T17:46")
        assert store.orders.get(db, order["id"])["dispute_status"] == "needs_response"
        [mail] = sent_to(db, data_dir, "dispute_opened")
        assert f"To: {ADMIN}" in mail and order["order_number"] in mail
        assert "Evidence due: 2030-03-17 17:46 UTC" in mail
        assert f"/admin/orders/{order['public_id']}/evidence" in mail
        # The overview and the order page show it; the evidence is one download.
        assert any(order["order_number"] in line and "disputed" in line
                   for line in insights.attention_lines(db))
        sign_in(client, data_dir, ADMIN)
        page = client.get(f"/admin/orders/{order['public_id']}").text
        assert "dp_test_1" in page and "needs_response" in page
        assert "This payment is disputed" in page
        overview = client.get("/admin").text
        assert order["order_number"] in overview and "disputed" in overview
        bundle = client.get(f"/admin/orders/{order['public_id']}/evidence")
        assert bundle.status_code == 200
        assert "attachment" in bundle.headers["content-disposition"]
        evidence = bundle.json()
        assert evidence["order"]["order_number"] == order["order_number"]
        assert evidence["what_they_asked_for"]["company_name"] == "Bright Smile Dental"
        assert evidence["payments"][0]["payment_intent_id"] == intent
        assert [e["to_status"] for e in evidence["timeline"]][-1] == "completed"
        assert "emails_sent" in evidence and evidence["disputes"][0]["status"] == "needs_response"
        # Updates and the close are recorded; the close is told once.
        assert send_event(client, fake_stripe.dispute_event(
            "charge.dispute.updated", intent, status="under_review")) == "dispute_under_review"
        closed = fake_stripe.dispute_event("charge.dispute.closed", intent, status="won")
        assert send_event(client, closed) == "dispute_won"
        assert store.orders.get(db, order["id"])["dispute_status"] == "won"
        assert db["emails"].count_where("kind = 'dispute_closed'") == 1
        assert not any("disputed" in line for line in insights.attention_lines(db))
        # Customers and anonymous visitors never see the bundle.
        client.post("/logout", data={})
    with web_client(**stripe_env) as (anonymous, _):
        assert anonymous.get(f"/admin/orders/{order['public_id']}/evidence").status_code == 404


def test_a_pending_refund_is_not_done_until_stripe_says_succeeded(fake_stripe, stripe_env):
    settings = Settings(**stripe_env)
    fake_stripe.refund_status = "pending"
    with web_client(settings) as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
        refund = refunds.admin_refund(db, order["id"], admin_email=ADMIN)
        made = asyncio.run(refunds.process(db, settings, refund["id"]))
        assert made["status"] == "processing" and made["provider_status"] == "pending"
        assert store.orders.get(db, order["id"])["status"] == "completed"
        intent = store.payments.paid_for_order(db, order["id"])["payment_intent_id"]
        # charge.refunded arrives when the refund is made, not when it is finished.
        assert send_event(client, fake_stripe.charge_refunded_event(intent)) == "refund_pending"
        assert store.orders.get(db, order["id"])["status"] == "completed"
        # Asking again reads the refund, never replays the key for a stale answer.
        again = asyncio.run(refunds.process(db, settings, refund["id"]))
        assert again["status"] == "processing"
        gets = [r for r in fake_stripe.requests if r.method == "GET"
                and r.path == f"/v1/refunds/{made['provider_refund_id']}"]
        assert len(gets) == 1
        event = fake_stripe.settle_refund(made["provider_refund_id"], "succeeded")
        assert send_event(client, event) == "refund_succeeded"
        assert store.orders.get(db, order["id"])["status"] == "refunded"
        assert store.refunds.get(db, refund["id"])["status"] == "succeeded"


def test_a_refund_that_fails_after_it_was_made_goes_back_to_a_person(fake_stripe, stripe_env):
    settings = Settings(**stripe_env)
    with web_client(settings) as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
        refund = refunds.admin_refund(db, order["id"], admin_email=ADMIN)
        made = asyncio.run(refunds.process(db, settings, refund["id"]))
        assert made["status"] == "succeeded"
        failed = fake_stripe.settle_refund(made["provider_refund_id"], "failed",
                                           failure_reason="expired_or_canceled_card")
        failed["type"] = "refund.failed"
        assert send_event(client, failed) == "refund_failed"
        row = store.refunds.get(db, refund["id"])
        assert row["status"] == "failed" and "expired_or_canceled_card" in row["last_error"]
        assert store.payments.paid_for_order(db, order["id"])["status"] == "succeeded"
        queue = [r["order_number"] for r in db.query("SELECT * FROM refund_queue")]
        assert queue == [order["order_number"]]
