"""Refunds through the official Stripe SDK against the local Stripe server, end to end.

The fake counts refunds it creates; an idempotent replay of the same key creates none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from compass import payments, refunds, store
from compass.settings import Settings
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.stripe_api import API_KEY, FakeStripe
from tests.fakes.web_app import csrf_from, db_of, web_client

DANA = "dana@brightsmile.example"
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def queue():
    with Dispatched() as dispatched:
        yield dispatched


@pytest.fixture
def stripe_env(fake_stripe):
    return {"STRIPE_SECRET_KEY": API_KEY, "STRIPE_API_BASE": fake_stripe.base_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}


def _refund_posts(fake: FakeStripe) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == "/v1/refunds"]


def _intent(db, order) -> str:
    return store.payments.paid_for_order(db, order["id"])["payment_intent_id"]


def _send_event(client, event: dict):
    payload = json.dumps(event)
    return client.post("/api/webhooks/stripe", content=payload, headers={
        "Stripe-Signature": payments.sign_payload(payload, WEBHOOK_SECRET),
        "Content-Type": "application/json"})


def test_an_eligible_request_is_refunded_at_once_and_a_double_submit_makes_one_refund(
        fake_stripe, stripe_env, data_dir):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
        sign_in(client, data_dir, DANA)
        page = client.get(f"/orders/{order['public_id']}/refund")
        assert "will be approved automatically" in page.text
        form = {"csrf_token": csrf_from(page.text), "reason": "Not what we expected.",
                "confirm": "yes"}
        first = client.post(f"/orders/{order['public_id']}/refund", data=form,
                            follow_redirects=False)
        second = client.post(f"/orders/{order['public_id']}/refund", data=form,
                             follow_redirects=False)
        assert first.status_code == second.status_code == 303
        outcome = client.get(first.headers["location"])
        assert "Your refund is on its way" in outcome.text and "$149" in outcome.text
        [made] = fake_stripe.refunds.values()
        assert len(_refund_posts(fake_stripe)) == 1
        assert made["payment_intent"] == _intent(db, order) and made["amount"] == 14900
        assert made["metadata"]["order_public_id"] == order["public_id"]
        assert made["reason"] == "requested_by_customer"
        [post] = _refund_posts(fake_stripe)
        [refund] = db.query("SELECT * FROM refunds")
        assert post.headers["idempotency-key"] == refund["idempotency_key"]
        assert refund["status"] == "succeeded" and refund["provider_refund_id"] == made["id"]
        assert refund["provider"] == "stripe" and refund["attempts"] == 1
        assert store.orders.get(db, order["id"])["status"] == "refunded"
        assert store.payments.paid_for_order(db, order["id"])["status"] == "refunded"
        # The refund email is queued once, with the reason in the customer's terms.
        [email] = db.query("SELECT * FROM emails WHERE kind = 'refund_processed'")
        assert json.loads(email["context_json"])["reason"] == "Refund you requested"
        # The PDF is gone for good.
        assert client.get(f"/orders/{order['public_id']}/download").status_code == 410
        # The dashboard says so, and offers no second refund form.
        assert "Refunded" in client.get("/dashboard").text
        assert 'name="reason"' not in outcome.text


def test_two_attempts_at_the_same_moment_still_make_one_refund(fake_stripe, stripe_env, db):
    settings = Settings(**stripe_env)
    order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
    refund = refunds.request_refund(db, order["id"], customer_id=order["customer_id"],
                                    reason="changed my mind")

    async def both():
        return await asyncio.gather(refunds.process(db, settings, refund["id"]),
                                    refunds.process(db, settings, refund["id"]))

    results = asyncio.run(both())
    assert {r["status"] for r in results} == {"succeeded"}
    assert len(fake_stripe.refunds) == 1
    posts = _refund_posts(fake_stripe)
    assert len({p.headers["idempotency-key"] for p in posts}) == 1
    assert store.orders.get(db, order["id"])["status"] == "refunded"
    [event] = [e for e in store.orders.events(db, order["id"]) if e["to_status"] == "refunded"]
    assert event  # moved once


class Crash(Exception):
    pass


def _crash_after_stripe(monkeypatch) -> None:
    """The process dies after Stripe made the refund, before our database says so."""
    real = refunds.complete
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(refunds, "complete", crashing)


def test_a_crash_between_stripe_and_the_database_is_finished_by_the_retry(
        fake_stripe, stripe_env, db, monkeypatch):
    settings = Settings(**stripe_env)
    order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
    refund = refunds.request_refund(db, order["id"], customer_id=order["customer_id"],
                                    reason="changed my mind")
    _crash_after_stripe(monkeypatch)
    with pytest.raises(Crash):
        asyncio.run(refunds.process(db, settings, refund["id"]))
    assert len(fake_stripe.refunds) == 1  # the money went back...
    stuck = store.refunds.get(db, refund["id"])
    assert stuck["status"] == "processing"  # ...but we do not know it yet
    assert store.orders.get(db, order["id"])["status"] == "completed"
    # Too soon: someone may still be working on it.
    assert asyncio.run(refunds.retry_stuck(db, settings)) == []
    later = dt.datetime.now(dt.UTC) + refunds.RETRY_AFTER + dt.timedelta(seconds=1)
    [done] = asyncio.run(refunds.retry_stuck(db, settings, now=later))
    assert done["status"] == "succeeded" and done["attempts"] == 2
    assert len(fake_stripe.refunds) == 1  # the same key: Stripe's answer, not a new refund
    [made] = fake_stripe.refunds.values()
    assert done["provider_refund_id"] == made["id"]
    assert store.orders.get(db, order["id"])["status"] == "refunded"
    assert asyncio.run(refunds.retry_stuck(db, settings, now=later)) == []


def test_a_crash_is_finished_by_the_charge_refunded_webhook(
        fake_stripe, stripe_env, monkeypatch, queue):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        settings = Settings(**stripe_env)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
        refund = refunds.request_refund(db, order["id"], customer_id=order["customer_id"],
                                        reason="changed my mind")
        _crash_after_stripe(monkeypatch)
        with pytest.raises(Crash):
            asyncio.run(refunds.process(db, settings, refund["id"]))
        event = fake_stripe.charge_refunded_event(_intent(db, order))
        response = _send_event(client, event)
        assert response.json()["outcome"] == "order_refunded"
        done = store.refunds.get(db, refund["id"])
        assert done["status"] == "succeeded"
        assert done["provider_refund_id"] == next(iter(fake_stripe.refunds))
        assert "charge.refunded" in done["decision_note"]
        assert store.orders.get(db, order["id"])["status"] == "refunded"
        assert _send_event(client, event).json()["outcome"] == "duplicate"
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        assert asyncio.run(refunds.retry_stuck(db, settings, now=later)) == []
        assert len(fake_stripe.refunds) == 1 and db["refunds"].count == 1


def test_a_refund_made_in_the_stripe_dashboard_is_recorded(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
        intent = _intent(db, order)
        fake_stripe.handle("POST", "/v1/refunds", {"authorization": f"Bearer {API_KEY}"},
                           f"payment_intent={intent}")
        assert _send_event(client, fake_stripe.charge_refunded_event(intent)).json()[
            "outcome"] == "order_refunded"
        [refund] = db.query("SELECT * FROM refunds")
        assert refund["kind"] == "stripe" and refund["status"] == "succeeded"
        assert refund["amount_cents"] == 14900


def test_a_failed_order_is_refunded_without_being_asked(fake_stripe, stripe_env, db, queue):
    settings = Settings(**stripe_env)
    order = paid_order(db, email=DANA, fake_stripe=fake_stripe, status="failed")
    [refund_id] = queue.refunds  # queued once the failure committed
    refund = store.refunds.get(db, refund_id)
    assert refund["kind"] == "processing_failed" and refund["status"] == "processing"
    assert refund["requested_by"] == "system"
    done = asyncio.run(refunds.process(db, settings, refund_id))
    assert done["status"] == "succeeded"
    [made] = fake_stripe.refunds.values()
    assert made["amount"] == 14900 and made["reason"] is None
    assert store.orders.get(db, order["id"])["status"] == "refunded"
    kinds = {r["kind"]: r for r in db.query("SELECT * FROM emails")}
    assert {"processing_failed", "refund_processed"} <= set(kinds)
    assert json.loads(kinds["refund_processed"]["context_json"])["reason"] == \
        "We could not produce your report"
    # The worker's job does the same, and is safe to run again.
    from jobs.refunds import process_refund

    assert process_refund.call_local(refund_id) == "succeeded"
    assert len(fake_stripe.refunds) == 1


def test_the_worker_failing_an_order_queues_its_refund(fake_stripe, stripe_env, db, queue):
    from compass.engine import EngineFailed
    from compass.processing import run_order

    order = paid_order(db, email=DANA, fake_stripe=fake_stripe, status="processing")
    db.execute("UPDATE orders SET status = 'paid' WHERE id = ?", [order["id"]])

    async def failing_engine(*args, **kwargs):
        raise EngineFailed("the report scored 4/10 in quality review after 3 attempts")

    class NoProvider:
        async def aclose(self):
            return None

    outcome = asyncio.run(run_order(db, order["id"], engine=failing_engine,
                                    provider=NoProvider()))
    assert outcome == "failed"
    [refund_id] = queue.refunds
    assert store.refunds.get(db, refund_id)["kind"] == "processing_failed"


def test_stripe_refusing_a_refund_leaves_it_for_a_person_and_an_admin_can_retry(
        fake_stripe, stripe_env, db):
    settings = Settings(**stripe_env)
    order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
    refund = refunds.request_refund(db, order["id"], customer_id=order["customer_id"],
                                    reason="changed my mind")
    fake_stripe.fail_next(status=400, kind="invalid_request_error",
                          message="This charge is disputed.")
    refused = asyncio.run(refunds.process(db, settings, refund["id"]))
    assert refused["status"] == "failed" and "disputed" in refused["last_error"]
    assert store.orders.get(db, order["id"])["status"] == "completed"
    assert [r["id"] for r in store.refunds.awaiting_review(db)] == [refund["id"]]
    retried = refunds.retry_rejected(db, refund["id"], admin_email="ops@compass.example")
    assert retried["idempotency_key"].endswith("-2")  # a refused key stays refused
    assert asyncio.run(refunds.process(db, settings, refund["id"]))["status"] == "succeeded"
    assert len(fake_stripe.refunds) == 1


def test_stripe_unreachable_keeps_the_refund_approved_for_the_retry(fake_stripe, stripe_env,
                                                                      db):
    settings = Settings(**stripe_env)
    order = paid_order(db, email=DANA, fake_stripe=fake_stripe)
    refund = refunds.request_refund(db, order["id"], customer_id=order["customer_id"],
                                    reason="changed my mind")
    fake_stripe.fail_next(count=3, status=503)  # the SDK's own two retries fail as well
    pending = asyncio.run(refunds.process(db, settings, refund["id"]))
    assert pending["status"] == "processing" and "503" in pending["last_error"]
    keys = {p.headers["idempotency-key"] for p in _refund_posts(fake_stripe)}
    assert keys == {refund["idempotency_key"]}
    assert asyncio.run(refunds.process(db, settings, refund["id"]))["status"] == "succeeded"
    assert len(fake_stripe.refunds) == 1


def test_development_refunds_complete_locally_through_the_same_path(data_dir):
    with web_client() as (client, _):  # no STRIPE_SECRET_KEY: the dev checkout's payments
        db = db_of(client)
        order = paid_order(db, email=DANA)
        sign_in(client, data_dir, DANA)
        page = client.get(f"/orders/{order['public_id']}/refund")
        missing = client.post(f"/orders/{order['public_id']}/refund",
                              data={"csrf_token": csrf_from(page.text), "reason": ""})
        assert missing.status_code == 422
        assert "why you want a refund" in missing.text and "Tick the box" in missing.text
        done = client.post(f"/orders/{order['public_id']}/refund", data={
            "csrf_token": csrf_from(page.text), "reason": "Changed plans", "confirm": "yes"})
        assert "Your refund is on its way" in done.text
        [refund] = db.query("SELECT * FROM refunds")
        assert refund["provider"] == "dev" and refund["provider_refund_id"].startswith("re_dev_")
        assert store.orders.get(db, order["id"])["status"] == "refunded"


def test_a_request_that_needs_review_says_so_and_calls_nobody(fake_stripe, stripe_env,
                                                               data_dir):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, fake_stripe=fake_stripe, paid_days_ago=12)
        sign_in(client, data_dir, DANA)
        page = client.get(f"/orders/{order['public_id']}/refund")
        assert "A person will review your request" in page.text
        done = client.post(f"/orders/{order['public_id']}/refund", data={
            "csrf_token": csrf_from(page.text), "reason": "Too generic for us",
            "confirm": "yes"})
        assert "A person will review your request" in done.text
        assert "after the first 7 days" in done.text
        assert _refund_posts(fake_stripe) == []
        assert store.orders.get(db, order["id"])["status"] == "completed"
