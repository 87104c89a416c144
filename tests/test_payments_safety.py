"""Money safety across calls (issue 11), with the official SDK against the stricter local
Stripe: idempotency keys compared with their parameters, sessions that expire, one
payable session per order, duplicate payments refunded, a hanging Stripe bounded."""

from __future__ import annotations

import asyncio
import json

import pytest
import stripe

from compass import insights, lifecycle, payments, refunds, store
from compass.settings import Settings
from compass.stripe_client import CHECKOUT_BUDGET_SECONDS, stripe_client, worst_case_seconds
from tests.fakes.customers import Dispatched
from tests.fakes.stripe_api import API_KEY, FakeStripe
from tests.fakes.web_app import csrf_from, db_of, place_order, web_client
from tests.fakes.web_app import send_event as post_event

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def dispatched():
    with Dispatched() as queued:
        yield queued


@pytest.fixture
def stripe_env(fake_stripe):
    return {"STRIPE_SECRET_KEY": API_KEY, "STRIPE_API_BASE": fake_stripe.base_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "BASE_URL": "http://127.0.0.1:8000"}


def send_event(client, event: dict) -> str:
    return post_event(client, event, WEBHOOK_SECRET)


def retry(client, public_id: str, page_html: str):
    return client.post(f"/orders/{public_id}/checkout",
                       data={"csrf_token": csrf_from(page_html)}, follow_redirects=False)


def only_order(db) -> dict:
    [order] = db.query("SELECT * FROM orders")
    return order


def open_sessions(fake: FakeStripe) -> list[str]:
    return [s["id"] for s in fake.sessions.values() if s["status"] == "open"]


# -- the local Stripe behaves as documented ------------------------------------------------------

def test_the_local_stripe_rejects_a_key_replayed_with_other_parameters(fake_stripe, stripe_env):
    client = stripe_client(Settings(**stripe_env))
    params = {"mode": "payment", "success_url": "http://x/s", "cancel_url": "http://x/c",
              "line_items": [{"quantity": 1, "price_data": {
                  "currency": "usd", "unit_amount": 100, "product_data": {"name": "x"}}}]}
    first = client.v1.checkout.sessions.create(params, {"idempotency_key": "k-1"})
    again = client.v1.checkout.sessions.create(params, {"idempotency_key": "k-1"})
    assert again.id == first.id and len(fake_stripe.sessions) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params | {"expires_at": 2_000_000_000},
                                           {"idempotency_key": "k-1"})
    expired = client.v1.checkout.sessions.expire(first.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(first.id)
    with pytest.raises(AssertionError):
        fake_stripe.complete(first.id)  # an expired session cannot be paid


# -- one payable session per order -----------------------------------------------------------

def test_retrying_after_cancel_expires_the_first_session(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        place_order(client)
        db = db_of(client)
        order = only_order(db)
        first = next(db.query("SELECT * FROM payments"))["checkout_session_id"]
        cancel = client.get(f"/checkout/cancel?order={order['public_id']}")
        response = retry(client, order["public_id"], cancel.text)
        assert response.status_code == 303
        [second] = open_sessions(fake_stripe)
        assert second != first and fake_stripe.sessions[first]["status"] == "expired"
        assert response.headers["location"].endswith(second)
        # Stripe tells us about the expiry we asked for: the order stays payable.
        outcome = send_event(client, fake_stripe.event("checkout.session.expired", first))
        assert outcome == "payment_expired_superseded"
        assert store.orders.get(db, order["id"])["status"] == "payment_pending"
        statuses = {p["checkout_session_id"]: p["status"] for p in db.query(
            "SELECT * FROM payments")}
        assert statuses == {first: "expired", second: "open"}
        keys = [r.headers["idempotency-key"] for r in fake_stripe.requests
                if r.path == "/v1/checkout/sessions"]
        assert keys == [f"checkout-{order['public_id']}-1", f"checkout-{order['public_id']}-2"]


def test_retries_are_rate_limited_per_order(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        page = place_order(client)
        order = only_order(db_of(client))
        answers = [retry(client, order["public_id"], client.get("/order/new").text).status_code
                   for _ in range(30)]
    allowed = payments.CHECKOUT_ATTEMPTS.max_hits
    assert page.status_code == 303
    assert answers[:allowed - 1] == [303] * (allowed - 1)
    assert set(answers[allowed - 1:]) == {429}
    assert len(fake_stripe.sessions) == allowed and len(open_sessions(fake_stripe)) == 1


def test_paid_in_another_tab_then_retry_shows_the_order_instead_of_a_new_checkout(
        fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, queue):
        place_order(client)
        db = db_of(client)
        order = only_order(db)
        [first] = open_sessions(fake_stripe)
        fake_stripe.complete(first)  # paid; its webhook has not arrived yet
        response = retry(client, order["public_id"], client.get("/order/new").text)
        assert response.status_code == 303
        assert response.headers["location"] == f"/status/{order['public_id']}"
        assert store.orders.get(db, order["id"])["status"] == "paid"
        assert len(fake_stripe.sessions) == 1 and queue.jobs == [(order["id"], "standard")]


def test_a_lost_answer_followed_by_a_retry_reaches_checkout(fake_stripe, stripe_env):
    # Every answer to the first call is lost (the SDK's own retry included), then one more.
    fake_stripe.lose_answers = 3
    with web_client(**stripe_env) as (client, _):
        first = place_order(client)
        assert first.status_code == 502 and "could not open the payment page" in first.text
        db = db_of(client)
        order = only_order(db)
        assert db["payments"].count == 0
        response = retry(client, order["public_id"], first.text)
        assert response.status_code == 303, response.text
        [payable] = open_sessions(fake_stripe)
        assert response.headers["location"].endswith(payable)
        # The session the lost answer made was found (same key, same parameters) and expired.
        assert len(fake_stripe.sessions) == 2
        posts = [r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions"]
        by_key: dict[str, list[dict]] = {}
        for post in posts:
            by_key.setdefault(post.headers["idempotency-key"], []).append(post.params)
        assert all(p == sent[0] for sent in by_key.values() for p in sent)
        attempts = list(db.query("SELECT * FROM checkout_attempts ORDER BY number"))
        assert [a["status"] for a in attempts] == ["created", "created"]
        assert all(a["params_json"] == "{}" for a in attempts)  # no email kept once resolved


# -- a second payment is refunded --------------------------------------------------------------

def test_two_paid_sessions_keep_one_refund_the_other_email_once_and_show_the_operator(
        fake_stripe, stripe_env, dispatched):
    settings = Settings(**stripe_env)
    with web_client(settings) as (client, queue):
        place_order(client)
        db = db_of(client)
        order = only_order(db)
        [first] = open_sessions(fake_stripe)
        # A second open session of the same order, as the previous release made from the
        # cancel page's retry (and as any session unknown to our database would be).
        params = json.loads(json.dumps(payments.session_params(
            settings, order, "dana.ortiz@brightsmile.example", 2_000_000_000)))
        gateway = payments.StripeCheckout(settings)
        second = asyncio.run(gateway.create_session(params, "legacy-retry"))["id"]
        fake_stripe.complete(first)
        fake_stripe.complete(second)
        assert send_event(client, fake_stripe.event("checkout.session.completed", first)) \
            == "fulfilled"
        outcome = send_event(client, fake_stripe.event("checkout.session.completed", second))
        assert outcome == "duplicate_payment_refunding"
        # Redelivered under another event id, and the success page too: nothing more.
        assert send_event(client, fake_stripe.event("checkout.session.completed", second)) \
            == "already_fulfilled"
        client.get(f"/checkout/success?session_id={second}", follow_redirects=False)
        assert queue.jobs == [(order["id"], "standard")]
        [refund] = db.query("SELECT * FROM refunds")
        assert refund["kind"] == "duplicate_payment" and dispatched.refunds == [refund["id"]]
        done = asyncio.run(refunds.process(db, settings, refund["id"]))
        assert done["status"] == "succeeded"
        second_intent = fake_stripe.sessions[second]["payment_intent"]
        [made] = fake_stripe.refunds.values()
        assert made["payment_intent"] == second_intent and made["amount"] == 14900
        assert made["reason"] == "duplicate"
        assert send_event(client, fake_stripe.charge_refunded_event(second_intent)) \
            == "duplicate_payment_refunded"
        kept = store.orders.get(db, order["id"])
        assert kept["status"] == "paid"
        paying = store.payments.paid_for_order(db, order["id"])
        assert paying["checkout_session_id"] == first and paying["status"] == "succeeded"
        emails = [e["kind"] for e in db["emails"].rows_where("order_id = ?", [order["id"]])]
        assert emails.count("duplicate_payment_refunded") == 1
        attention = insights.attention_lines(db)
        assert any(order["order_number"] in line and "paid twice" in line for line in attention)
        # A later refund of the order refunds the payment that paid it.
        assert store.refunds.live_for_order(db, order["id"]) is None


# -- events never downgrade a payment -----------------------------------------------------------

def test_a_mismatch_after_fulfilment_leaves_the_order_refundable(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        place_order(client)
        db = db_of(client)
        order = only_order(db)
        [session_id] = open_sessions(fake_stripe)
        fake_stripe.complete(session_id)
        assert send_event(client, fake_stripe.event("checkout.session.completed", session_id)) \
            == "fulfilled"
        # The same payment rendered in another currency (Adaptive Pricing, older endpoint).
        late = payments.build_event("checkout.session.async_payment_succeeded", dict(
            fake_stripe.sessions[session_id], amount_total=13700, currency="eur"))
        assert send_event(client, late) == "already_fulfilled"
        payment = store.payments.paid_for_order(db, order["id"])
        assert payment is not None and payment["status"] == "succeeded"


def test_the_success_page_leaves_an_open_unpaid_session_alone(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        place_order(client)
        db = db_of(client)
        [session_id] = open_sessions(fake_stripe)
        client.get(f"/checkout/success?session_id={session_id}", follow_redirects=False)
        assert store.payments.by_session(db, session_id)["status"] == "open"


# -- a hanging Stripe ---------------------------------------------------------------------------

def test_a_hanging_stripe_gets_the_customer_the_apology_page(fake_stripe, stripe_env):
    fake_stripe.hang()
    with web_client(**stripe_env, STRIPE_TIMEOUT_SECONDS="0.5") as (client, _):
        response = place_order(client)
        fake_stripe.release()
        assert response.status_code == 502
        assert "could not open the payment page" in response.text
        order = only_order(db_of(client))
        assert order["status"] == "payment_pending"


def test_stripe_calls_are_bounded_well_under_thirty_seconds():
    settings = Settings(STRIPE_SECRET_KEY=API_KEY)
    client = stripe_client(settings)
    http = client._requestor._client  # the SDK keeps its HTTP client here
    assert http._timeout == settings.STRIPE_TIMEOUT_SECONDS <= 15
    assert client._requestor._options.max_network_retries == settings.STRIPE_NETWORK_RETRIES
    assert worst_case_seconds(settings) <= CHECKOUT_BUDGET_SECONDS <= 30


def test_the_dev_checkout_stamps_the_sdks_api_version():
    event = payments.build_event("checkout.session.completed", {"id": "cs_x"})
    assert event["api_version"] == stripe.api_version


# -- ordinary promotion codes ----------------------------------------------------------------

def test_promotion_codes_when_allowed_are_paid_and_refunded_at_the_price_paid(
        fake_stripe, stripe_env):
    env = stripe_env | {"STRIPE_ALLOW_PROMOTION_CODES": "true"}
    settings = Settings(**env)
    with web_client(settings) as (client, queue):
        place_order(client)
        db = db_of(client)
        order = only_order(db)
        [session_id] = open_sessions(fake_stripe)
        [create] = [r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions"]
        assert create.params["allow_promotion_codes"] == "true"
        fake_stripe.complete(session_id, promotion_discount=2980)  # 20% off $149
        assert send_event(client, fake_stripe.event("checkout.session.completed", session_id)) \
            == "fulfilled"
        payment = store.payments.paid_for_order(db, order["id"])
        assert payment["amount_cents"] == 11920 and queue.jobs
        with store.transaction(db):
            for status in ("processing", "completed"):
                lifecycle.transition(db, order["id"], status)
        refund = refunds.admin_refund(db, order["id"], admin_email="owner@example.com")
        made = asyncio.run(refunds.process(db, settings, refund["id"]))
        assert made["status"] == "succeeded"
        assert [r["amount"] for r in fake_stripe.refunds.values()] == [11920]


def test_without_the_setting_checkout_takes_no_promotion_codes(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        place_order(client)
    [create] = [r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions"]
    assert "allow_promotion_codes" not in create.params
