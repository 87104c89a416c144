"""The official Stripe SDK against a local server speaking Stripe's wire format."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from compass import store
from tests.fakes.stripe_api import API_KEY
from tests.fakes.web_app import csrf_from, db_of, place_order, web_client


@pytest.fixture
def stripe_env(fake_stripe):
    return {"STRIPE_SECRET_KEY": API_KEY, "STRIPE_API_BASE": fake_stripe.base_url,
            "STRIPE_WEBHOOK_SECRET": "whsec_test_secret", "BASE_URL": "http://127.0.0.1:8000"}


def test_order_creates_a_checkout_session_priced_from_the_tier(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, _):
        before = int(time.time())
        response = place_order(client, tier="premium")
        db = db_of(client)
        order = next(db.query("SELECT * FROM orders"))
        payment = next(db.query("SELECT * FROM payments"))
    [request] = [r for r in fake_stripe.requests if r.method == "POST"]
    assert request.path == "/v1/checkout/sessions"
    params = request.params
    assert params["mode"] == "payment"
    price = params["line_items"][0]["price_data"]
    assert price["unit_amount"] == "39900" and price["currency"] == "usd"
    assert params["line_items"][0]["quantity"] == "1"
    assert params["customer_email"] == "dana.ortiz@brightsmile.example"
    assert params["client_reference_id"] == order["public_id"]
    assert params["metadata"]["order_public_id"] == order["public_id"]
    assert params["success_url"] == \
        "http://127.0.0.1:8000/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == f"http://127.0.0.1:8000/checkout/cancel?order={order['public_id']}"
    assert 30 * 60 <= int(params["expires_at"]) - before <= 24 * 3600
    assert request.headers["idempotency-key"] == f"checkout-{order['public_id']}-1"
    assert response.status_code == 303
    assert response.headers["location"] == f"https://checkout.stripe.com/c/pay/{payment['checkout_session_id']}"
    assert payment["provider"] == "stripe" and payment["amount_cents"] == 39900


def test_stripe_error_shows_apology_keeps_order_and_retry_works(fake_stripe, stripe_env, caplog):
    fake_stripe.fail_next(status=400, kind="invalid_request_error", message="Boom from Stripe")
    with web_client(**stripe_env) as (client, _):
        response = place_order(client)
        db = db_of(client)
        order = next(db.query("SELECT * FROM orders"))
        assert response.status_code == 502
        assert "could not open the payment page" in response.text
        assert order["status"] == "payment_pending"
        assert db["payments"].count == 0
        assert "Boom from Stripe" in caplog.text  # logged for the operator
        assert API_KEY not in caplog.text and "dana.ortiz" not in caplog.text
        retry = client.post(f"/orders/{order['public_id']}/checkout",
                            data={"csrf_token": csrf_from(response.text)}, follow_redirects=False)
        assert retry.status_code == 303
        assert retry.headers["location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
        assert db["payments"].count == 1
        assert db["orders"].count == 1


def test_transient_stripe_failure_is_retried_with_the_same_idempotency_key(fake_stripe, stripe_env):
    fake_stripe.fail_next(status=500)
    with web_client(**stripe_env) as (client, _):
        response = place_order(client)
    posts = [r for r in fake_stripe.requests if r.method == "POST"]
    assert response.status_code == 303
    assert len(posts) == 2
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    assert len(fake_stripe.sessions) == 1


def test_success_page_fulfils_a_paid_session_before_the_webhook(fake_stripe, stripe_env):
    with web_client(**stripe_env) as (client, queue):
        place_order(client, tier="premium")
        db = db_of(client)
        payment = next(db.query("SELECT * FROM payments"))
        session_id = payment["checkout_session_id"]
        # Not paid yet: the success page fulfils nothing.
        early = client.get(f"/checkout/success?session_id={session_id}", follow_redirects=False)
        assert store.orders.get(db, payment["order_id"])["status"] == "payment_pending"
        fake_stripe.complete(session_id)
        response = client.get(f"/checkout/success?session_id={session_id}", follow_redirects=False)
        again = client.get(f"/checkout/success?session_id={session_id}", follow_redirects=False)
        order = store.orders.get(db, payment["order_id"])
        payment = store.payments.by_session(db, session_id)
    assert early.status_code == 303
    assert response.status_code == again.status_code == 303
    assert urlsplit(response.headers["location"]).path == f"/status/{order['public_id']}"
    assert order["status"] == "paid" and order["paid_at"]
    assert payment["status"] == "succeeded" and payment["payment_intent_id"].startswith("pi_")
    assert queue.jobs == [(order["id"], "premium")]
    gets = [r for r in fake_stripe.requests if r.method == "GET"]
    assert all(re.fullmatch(r"/v1/checkout/sessions/cs_test_\w+", r.path) for r in gets)


def test_success_page_with_unknown_session_is_404(stripe_env):
    with web_client(**stripe_env) as (client, _):
        assert client.get("/checkout/success?session_id=cs_test_nope").status_code == 404
        assert client.get("/checkout/success").status_code == 404


def test_cancel_goes_back_to_the_form_with_answers_kept(stripe_env):
    with web_client(**stripe_env) as (client, _):
        place_order(client, tier="premium")
        order = next(db_of(client).query("SELECT * FROM orders"))
        page = client.get(f"/checkout/cancel?order={order['public_id']}")
        blank = client.get("/checkout/cancel")
        status = store.orders.get(db_of(client), order["id"])["status"]
    assert page.status_code == 200 and "nothing was charged" in page.text
    assert 'value="Bright Smile Dental"' in page.text
    assert re.search(r'value="premium" checked', page.text)
    assert f'action="/orders/{order["public_id"]}/checkout"' in page.text
    assert blank.status_code == 200 and 'name="company_name"' in blank.text
    # Opened directly there are no answers to speak of.
    assert "Your answers are below" in page.text and "Your answers are below" not in blank.text
    assert status == "payment_pending"
