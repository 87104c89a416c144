"""Referrals end to end (issue 11): link → discounted checkout → completed → reward email
→ reward code accepted at the next checkout, with the official SDK against the local
Stripe server and on the dev checkout; the abuse rules; the local Stripe's discounts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from email import message_from_bytes, policy

import pytest
import stripe

from compass import clock, lifecycle, notifications, referrals, store
from compass.settings import Settings
from compass.stripe_client import stripe_client
from tests.factories import SMALL_RESULT, paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.stripe_api import API_KEY
from tests.fakes.web_app import csrf_from, db_of, place_order, web_client
from tests.fakes.web_app import send_event as post_event

WEBHOOK_SECRET = "whsec_test_secret"
DANA = "dana@brightsmile.example"
SAM = "sam@harbourlogistics.example"
PRICE = 14900  # standard
FRIEND_OFF = round(PRICE * 15 / 100)  # REFERRAL_DISCOUNT_PERCENT's default
REWARD_OFF = round(PRICE * 20 / 100)  # REFERRAL_REWARD_PERCENT's default


@pytest.fixture(autouse=True)
def dispatched():
    with Dispatched() as queued:
        yield queued


@pytest.fixture
def stripe_env(fake_stripe):
    return {"STRIPE_SECRET_KEY": API_KEY, "STRIPE_API_BASE": fake_stripe.base_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "BASE_URL": "http://127.0.0.1:8000"}


def referral_link(client, data_dir, email: str) -> str:
    """Sign in as `email`, read the link off the dashboard, sign out (the friend's browser)."""
    sign_in(client, data_dir, email)
    page = client.get("/dashboard")
    match = re.search(r'value="http://127\.0\.0\.1:8000(/order/new\?ref=[^"]+)"', page.text)
    assert match, "the dashboard shows no referral link"
    client.cookies.clear()
    return match.group(1).replace("&amp;", "&")


def order_through(client, link: str, **answers: str):
    """Open the link, send the form (with the link's code, as a hand-made form could)."""
    form = client.get(link)
    assert form.status_code == 200
    extra = {"referral_code": link.rsplit("=", 1)[1]}
    return client.post("/orders", data={"csrf_token": csrf_from(form.text)} | _valid()
                       | extra | answers, follow_redirects=False)


def _valid() -> dict:
    from tests.fakes.web_app import VALID_ORDER
    return dict(VALID_ORDER)


def latest_order(db) -> dict:
    return next(db.query("SELECT * FROM orders ORDER BY id DESC LIMIT 1"))


def session_of(db, fake, order_id: int) -> dict:
    [row] = db.query("SELECT checkout_session_id FROM payments WHERE order_id = ?", [order_id])
    return fake.sessions[row["checkout_session_id"]]


def deliver(db, order_id: int) -> None:
    """The worker ran the order: processing, then completed."""
    lifecycle.transition(db, order_id, "processing")
    lifecycle.transition(db, order_id, "completed", fields={
        "result_json": json.dumps(SMALL_RESULT), "progress_percent": 100})


def rewards(db, settings: Settings, *, days: float) -> list[int]:
    return asyncio.run(referrals.make_due_rewards(
        db, settings, now=clock.now() + dt.timedelta(days=days)))


def reward_email(db, settings: Settings, data_dir) -> tuple[dict, str]:
    [row] = db.query("SELECT * FROM emails WHERE kind = 'referral_reward'")
    assert notifications.deliver(db, row["id"], settings) == "sent"
    [path] = [p for p in (data_dir / "outbox").glob("*.eml") if "referral" in p.name]
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return row, message.get_body(preferencelist=("plain",)).get_content()


# -- the walk, with the official SDK against the local Stripe server ---------------------------

def test_referral_walk_with_stripe(fake_stripe, stripe_env, data_dir):
    stripe_env |= {"ADMIN_EMAILS": "ops@compass.example"}
    settings = Settings(**stripe_env)
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)

        form = client.get(link)
        assert "A friend referred you: 15% off" in form.text
        response = order_through(client, link, email=SAM, company_name="Harbour Logistics")
        assert response.status_code == 303, response.text
        order = latest_order(db)
        session = session_of(db, fake_stripe, order["id"])
        # The coupon, made once under its fixed id, applied through `discounts`.
        assert fake_stripe.coupons["compass-referral-15-off"]["percent_off"] == 15
        [create] = [r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions"]
        assert create.params["discounts"] == [{"coupon": "compass-referral-15-off"}]
        assert "allow_promotion_codes" not in create.params
        assert session["amount_total"] == PRICE - FRIEND_OFF
        assert session["total_details"]["amount_discount"] == FRIEND_OFF
        assert order["amount_cents"] == PRICE and order["discount_cents"] == FRIEND_OFF
        [payment] = db.query("SELECT * FROM payments WHERE order_id = ?", [order["id"]])
        assert payment["amount_cents"] == PRICE - FRIEND_OFF

        fake_stripe.complete(session["id"])
        event = fake_stripe.event("checkout.session.completed", session["id"])
        assert post_event(client, event, WEBHOOK_SECRET) == "fulfilled"
        [payment] = db.query("SELECT * FROM payments WHERE order_id = ?", [order["id"]])
        assert payment["status"] == "succeeded" and payment["amount_cents"] == PRICE - FRIEND_OFF
        referral = store.referrals.for_order(db, order["id"])
        assert referral["status"] == "due"
        deliver(db, order["id"])

        # Not before the refund window has passed.
        assert rewards(db, settings, days=6) == []
        assert fake_stripe.promotion_codes == {}
        assert rewards(db, settings, days=8) == [referral["id"]]
        assert rewards(db, settings, days=9) == []  # once
        [promo] = fake_stripe.promotion_codes.values()
        assert promo["max_redemptions"] == 1 and promo["active"]
        assert promo["promotion"]["coupon"] == "compass-referral-thanks-20-off"
        row, text = reward_email(db, settings, data_dir)
        assert row["to_address"] == DANA and promo["code"] in text and "20% off" in text
        assert store.referrals.get(db, referral["id"])["reward_code"] == promo["code"]

        # The dashboard shows it too (should the email go astray).
        sign_in(client, data_dir, DANA)
        dashboard = client.get("/dashboard").text
        assert "1 friend ordered through your link" in dashboard and promo["code"] in dashboard
        client.cookies.clear()

        # Dana's next order, with the code typed in the order form.
        again = place_order(client, email=DANA, promotion_code=promo["code"].lower())
        assert again.status_code == 303, again.text
        second = latest_order(db)
        assert second["discount_cents"] == REWARD_OFF
        session = session_of(db, fake_stripe, second["id"])
        assert session["discounts"] == [{"coupon": "compass-referral-thanks-20-off",
                                         "promotion_code": promo["id"]}]
        assert session["amount_total"] == PRICE - REWARD_OFF
        fake_stripe.complete(session["id"])
        event = fake_stripe.event("checkout.session.completed", session["id"])
        assert post_event(client, event, WEBHOOK_SECRET) == "fulfilled"
        assert promo["times_redeemed"] == 1 and not promo["active"]

        # One use: the code is refused now.
        reused = place_order(client, email=DANA, promotion_code=promo["code"])
        assert reused.status_code == 422 and "already been used" in reused.text

        # The operator's figures: what referred orders were charged, and discounts given.
        client.cookies.clear()
        sign_in(client, data_dir, "ops@compass.example")
        admin = client.get("/admin?days=7").text
        section = admin[admin.index("Referrals and discounts"):admin.index("By tier")]
        assert "Referral revenue</dt><dd>$126.65" in section
        assert "Discounts given</dt><dd>$52.15" in section  # 22.35 + 29.80
        assert "1 sent" in section


def test_self_referral_is_refused(fake_stripe, stripe_env, data_dir):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)
        orders_before = db["orders"].count
        for email in (DANA, "Dana+second@BrightSmile.example"):
            refused = order_through(client, link, email=email)
            assert refused.status_code == 422
            assert "your own referral link" in refused.text
            assert 'name="referral_code"' not in refused.text  # dropped from the form
        # Signed in as the referrer, typing a friend's address: the same customer. Their
        # own link opens a form without the referral; sent anyway, it is refused.
        sign_in(client, data_dir, DANA)
        assert "A friend referred you" not in client.get(link).text
        refused = order_through(client, link, email=SAM)
        assert refused.status_code == 422 and "your own referral link" in refused.text
        assert db["orders"].count == orders_before
        assert not [r for r in fake_stripe.requests if r.path.startswith("/v1/coupons")]
        # Sending the form again (the link dropped) orders at the full price.
        again = client.post("/orders", data=_valid() | {"email": DANA,
                            "csrf_token": csrf_from(refused.text)}, follow_redirects=False)
        assert again.status_code == 303
        assert latest_order(db)["discount_cents"] == 0
        session = session_of(db, fake_stripe, latest_order(db)["id"])
        assert session["amount_total"] == PRICE and session["discounts"] == []


def test_only_a_first_order_and_one_reward_per_friend(fake_stripe, stripe_env, data_dir):
    settings = Settings(**stripe_env)
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        paid_order(db, email="lee@oldcustomer.example", fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)
        # Someone who has paid for an order before gets no referral discount.
        refused = order_through(client, link, email="lee@oldcustomer.example")
        assert refused.status_code == 422 and "ordered before" in refused.text
        # A friend with two referred orders open, both paid: the first paid one counts.
        first = order_through(client, link, email=SAM)
        second = order_through(client, link, email=SAM)
        assert first.status_code == second.status_code == 303
        sessions = [s for s in fake_stripe.sessions.values() if s["status"] == "open"]
        for session in sessions:
            fake_stripe.complete(session["id"])
            post_event(client, fake_stripe.event("checkout.session.completed", session["id"]),
                       WEBHOOK_SECRET)
        statuses = [r["status"] for r in db.query("SELECT status FROM referrals ORDER BY id")]
        assert statuses == ["due", "void"]
        for order in db.query("SELECT id FROM orders WHERE status = 'paid'"):
            deliver(db, order["id"])
        assert len(rewards(db, settings, days=8)) == 1
        assert len(fake_stripe.promotion_codes) == 1


def test_a_refunded_referral_earns_nothing(fake_stripe, stripe_env, data_dir):
    settings = Settings(**stripe_env)
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)
        assert order_through(client, link, email=SAM).status_code == 303
        order = latest_order(db)
        session = session_of(db, fake_stripe, order["id"])
        fake_stripe.complete(session["id"])
        post_event(client, fake_stripe.event("checkout.session.completed", session["id"]),
                   WEBHOOK_SECRET)
        deliver(db, order["id"])
        lifecycle.transition(db, order["id"], "refunded", reason="refunded at Stripe")
        assert store.referrals.for_order(db, order["id"])["status"] == "void"
        assert rewards(db, settings, days=8) == []
        assert fake_stripe.promotion_codes == {}
        # Refunded: revenue and discounts count it no more.
        figures = referrals.figures(db, since="2000-01-01", until="2100-01-01")
        assert figures["referral_revenue_cents"] == 0 and figures["rewards_sent"] == 0


def test_a_referral_order_charged_the_full_price_is_not_fulfilled(fake_stripe, stripe_env,
                                                                  data_dir):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)
        order_through(client, link, email=SAM)
        session = session_of(db, fake_stripe, latest_order(db)["id"])
        # Charged something else than the session was created with (say, the discount
        # was dropped): the order waits for a person.
        fake_stripe.complete(session["id"], amount_total=PRICE - 1)
        outcome = post_event(client, fake_stripe.event("checkout.session.completed",
                                                       session["id"]), WEBHOOK_SECRET)
        assert outcome == "amount_mismatch"
        assert latest_order(db)["status"] == "payment_pending"


# -- the same walk offline, on the dev checkout -------------------------------------------------

def pay_dev(client, location: str) -> None:
    path = location.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    response = client.post(path, data={"csrf_token": csrf_from(page.text),
                                       "card_number": "4242 4242 4242 4242"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_referral_walk_on_the_dev_checkout(data_dir):
    settings = Settings()
    with web_client() as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA)
        link = referral_link(client, data_dir, DANA)
        response = order_through(client, link, email=SAM)
        assert response.status_code == 303
        page = client.get(response.headers["location"].removeprefix("http://127.0.0.1:8000"))
        assert "$126.65" in page.text and "less a discount of $22.35" in page.text
        pay_dev(client, response.headers["location"])
        order = latest_order(db)
        assert order["status"] == "paid"
        [payment] = db.query("SELECT * FROM payments WHERE order_id = ?", [order["id"]])
        assert payment["amount_cents"] == PRICE - FRIEND_OFF
        # The confirmation says what was paid, not the price.
        [row] = db.query("SELECT * FROM emails WHERE kind = 'payment_confirmation'"
                         " AND order_id = ?", [order["id"]])
        text = notifications.build_message(db, row, settings).get_body(
            preferencelist=("plain",)).get_content()
        assert "$126.65" in text and "$149" not in text
        deliver(db, order["id"])
        assert len(rewards(db, settings, days=8)) == 1
        [code] = [r["reward_code"] for r in db.query("SELECT reward_code FROM referrals")]
        _, text = reward_email(db, settings, data_dir)
        assert code in text

        again = place_order(client, email=DANA, promotion_code=code)
        assert again.status_code == 303
        page = client.get(again.headers["location"].removeprefix("http://127.0.0.1:8000"))
        assert "$119.20" in page.text
        pay_dev(client, again.headers["location"])
        assert latest_order(db)["status"] == "paid"
        reused = place_order(client, email=DANA, promotion_code=code)
        assert reused.status_code == 422 and "already been used" in reused.text


# -- the local Stripe refuses what Stripe refuses ----------------------------------------------

def test_the_local_stripe_models_coupons_and_promotion_codes(fake_stripe, stripe_env):
    client = stripe_client(Settings(**stripe_env))
    base = {"mode": "payment", "success_url": "http://x/s", "cancel_url": "http://x/c",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "usd", "unit_amount": 10000, "product_data": {"name": "x"}}}]}
    client.v1.coupons.create({"id": "ten", "percent_off": 10.0, "duration": "once"})
    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.coupons.create({"id": "ten", "percent_off": 10.0, "duration": "once"})
    assert taken.value.code == "resource_already_exists"
    with pytest.raises(stripe.InvalidRequestError, match="allow_promotion_codes, discounts"):
        client.v1.checkout.sessions.create(base | {"discounts": [{"coupon": "ten"}],
                                                   "allow_promotion_codes": True})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": "ten"},
                                              "code": "ONCE", "max_redemptions": 1})
    session = client.v1.checkout.sessions.create(base | {"discounts": [
        {"promotion_code": promo.id}]})
    assert session.amount_total == 9000 and session.total_details.amount_discount == 1000
    fake_stripe.complete(session.id)
    found = client.v1.promotion_codes.list({"code": "once", "active": True})
    assert found.data == []
    with pytest.raises(stripe.InvalidRequestError, match="not active"):
        client.v1.checkout.sessions.create(base | {"discounts": [{"promotion_code": promo.id}]})


def test_a_reward_is_made_once_when_stripe_answers_are_lost(fake_stripe, stripe_env, data_dir):
    settings = Settings(**stripe_env)
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)
        order_through(client, link, email=SAM)
        order = latest_order(db)
        session = session_of(db, fake_stripe, order["id"])
        fake_stripe.complete(session["id"])
        post_event(client, fake_stripe.event("checkout.session.completed", session["id"]),
                   WEBHOOK_SECRET)
        deliver(db, order["id"])
        # The promotion code is made but its answer is lost, and the SDK's retry's too.
        fake_stripe.lose_answers, fake_stripe.lose_only = 2, "/v1/promotion_codes"
        assert rewards(db, settings, days=8) == []
        row = store.referrals.for_order(db, order["id"])
        assert row["status"] == "rewarding" and row["last_error"]
        assert len(fake_stripe.promotion_codes) == 1  # made, answer lost
        assert rewards(db, settings, days=8) == [row["id"]]
        assert len(fake_stripe.promotion_codes) == 1  # the replay found the same one
        [promo] = fake_stripe.promotion_codes.values()
        assert store.referrals.get(db, row["id"])["reward_promotion_code_id"] == promo["id"]
        assert db["emails"].count_where("kind = 'referral_reward'") == 1


def test_an_unreachable_stripe_keeps_the_form(fake_stripe, stripe_env, data_dir):
    with web_client(**stripe_env) as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, fake_stripe=fake_stripe)
        link = referral_link(client, data_dir, DANA)
        orders_before = db["orders"].count
        fake_stripe.fail_next(count=3, status=500)
        response = order_through(client, link, email=SAM)
        assert response.status_code == 503
        assert "could not apply the discount just now" in response.text
        assert 'value="Bright Smile Dental"' in response.text
        assert db["orders"].count == orders_before
