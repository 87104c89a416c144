"""POST /api/webhooks/stripe: signatures, idempotency, ordering, amounts."""

from __future__ import annotations

import json
import time

import pytest

from compass import payments, store
from tests.fakes.web_app import db_of, place_order, web_client

SECRET = "whsec_test_webhook_secret"


@pytest.fixture
def shop():
    """A dev-checkout app with one payment_pending standard order."""
    with web_client(STRIPE_WEBHOOK_SECRET=SECRET) as (client, queue):
        place_order(client)
        db = db_of(client)
        payment = next(db.query("SELECT * FROM payments"))
        session = json.loads(store.payments.get_dev_session(db, payment["checkout_session_id"]))
        yield client, queue, db, session


def paid(session: dict, **changes) -> dict:
    return session | {"status": "complete", "payment_status": "paid",
                      "payment_intent": "pi_test_123"} | changes


def send(client, event: dict, *, secret: str = SECRET, timestamp: int | None = None,
         header: str | None = None):
    payload = json.dumps(event)
    signature = header if header is not None else payments.sign_payload(payload, secret, timestamp)
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Stripe-Signature"] = signature
    return client.post("/api/webhooks/stripe", content=payload, headers=headers)


def order_of(db):
    return next(db.query("SELECT * FROM orders"))


def test_signed_completed_event_fulfils_once_and_enqueues(shop):
    client, queue, db, session = shop
    event = payments.build_event("checkout.session.completed", paid(session))
    response = send(client, event)
    order = order_of(db)
    assert response.status_code == 200 and response.json()["outcome"] == "fulfilled"
    assert order["status"] == "paid"
    assert queue.jobs == [(order["id"], "standard")]
    assert db["stripe_events"].get(event["id"])["outcome"] == "fulfilled"
    assert [e["to_status"] for e in store.orders.events(db, order["id"])] == \
        ["payment_pending", "paid"]


@pytest.mark.parametrize("case", ["missing", "forged", "wrong_secret", "stale", "garbage"])
def test_bad_signatures_get_400_and_write_nothing(shop, case):
    client, queue, db, session = shop
    event = payments.build_event("checkout.session.completed", paid(session))
    if case == "missing":
        response = send(client, event, header="")
    elif case == "forged":
        response = send(client, event, header=f"t={int(time.time())},v1={'0' * 64}")
    elif case == "wrong_secret":
        response = send(client, event, secret="whsec_someone_else")
    elif case == "stale":
        response = send(client, event, timestamp=int(time.time()) - 301)
    else:
        response = send(client, event, header="nonsense")
    assert response.status_code == 400
    assert db["stripe_events"].count == 0
    assert order_of(db)["status"] == "payment_pending"
    assert queue.jobs == []


def test_tampered_body_with_a_valid_signature_for_another_body_is_rejected(shop):
    client, _, db, session = shop
    genuine = json.dumps(payments.build_event("checkout.session.completed", paid(session)))
    header = payments.sign_payload(genuine, SECRET)
    tampered = genuine.replace('"amount_total": 14900', '"amount_total": 100')
    response = client.post("/api/webhooks/stripe", content=tampered,
                           headers={"Stripe-Signature": header})
    assert response.status_code == 400 and db["stripe_events"].count == 0


def test_signature_within_tolerance_is_accepted(shop):
    client, _, db, session = shop
    event = payments.build_event("checkout.session.completed", paid(session))
    assert send(client, event, timestamp=int(time.time()) - 250).status_code == 200
    assert order_of(db)["status"] == "paid"


def test_a_redelivered_event_is_a_200_no_op(shop):
    client, queue, db, session = shop
    event = payments.build_event("checkout.session.completed", paid(session))
    first, second = send(client, event), send(client, event)
    assert first.status_code == second.status_code == 200
    assert second.json()["outcome"] == "duplicate"
    assert len(queue.jobs) == 1 and db["stripe_events"].count == 1


def test_a_second_event_for_the_same_payment_does_not_enqueue_again(shop):
    client, queue, _db, session = shop
    send(client, payments.build_event("checkout.session.completed", paid(session)))
    response = send(client, payments.build_event("checkout.session.async_payment_succeeded",
                                                 paid(session)))
    assert response.json()["outcome"] == "already_fulfilled"
    assert len(queue.jobs) == 1


def test_amount_or_currency_mismatch_is_not_fulfilled(shop):
    client, queue, db, session = shop
    cheap = send(client, payments.build_event("checkout.session.completed",
                                              paid(session, amount_total=100)))
    euros = send(client, payments.build_event("checkout.session.completed",
                                              paid(session, currency="eur")))
    assert cheap.json()["outcome"] == euros.json()["outcome"] == "amount_mismatch"
    assert order_of(db)["status"] == "payment_pending"
    assert queue.jobs == []
    assert next(db.query("SELECT status FROM payments"))["status"] == "mismatch"


def test_async_payment_waits_for_its_success_event(shop):
    client, queue, db, session = shop
    pending = session | {"status": "complete", "payment_status": "unpaid"}
    first = send(client, payments.build_event("checkout.session.completed", pending))
    assert first.json()["outcome"] == "awaiting_payment"
    assert order_of(db)["status"] == "payment_pending" and queue.jobs == []
    done = send(client, payments.build_event("checkout.session.async_payment_succeeded",
                                             paid(session)))
    assert done.json()["outcome"] == "fulfilled" and order_of(db)["status"] == "paid"
    assert len(queue.jobs) == 1


def test_async_payment_failure_leaves_the_order_payable(shop):
    client, _queue, db, session = shop
    response = send(client, payments.build_event("checkout.session.async_payment_failed",
                                                 session | {"payment_status": "unpaid"}))
    assert response.json()["outcome"] == "payment_failed"
    assert order_of(db)["status"] == "payment_pending"
    assert next(db.query("SELECT status FROM payments"))["status"] == "failed"


def test_out_of_order_expiry_after_payment_is_ignored(shop):
    client, _queue, db, session = shop
    send(client, payments.build_event("checkout.session.completed", paid(session)))
    late = send(client, payments.build_event("checkout.session.expired",
                                             session | {"status": "expired"}))
    assert late.status_code == 200
    assert late.json()["outcome"] == "payment_expired_ignored"
    assert order_of(db)["status"] == "paid"


def test_expired_session_expires_the_unpaid_order(shop):
    client, queue, db, session = shop
    response = send(client, payments.build_event("checkout.session.expired",
                                                 session | {"status": "expired"}))
    order = order_of(db)
    assert response.json()["outcome"] == "order_expired"
    assert order["status"] == "expired"
    assert queue.jobs == []


def test_paid_after_expiry_revives_the_order_and_says_so(shop):
    from compass import insights

    client, queue, db, session = shop
    send(client, payments.build_event("checkout.session.expired",
                                      session | {"status": "expired"}))
    # The customer paid as the checkout timed out: they get what they paid for.
    late = send(client, payments.build_event("checkout.session.completed", paid(session)))
    assert late.json()["outcome"] == "paid_after_expiry_revived"
    order = order_of(db)
    assert order["status"] == "paid" and queue.jobs == [(order["id"], "standard")]
    [event] = [e for e in store.orders.events(db, order["id"]) if e["from_status"] == "expired"]
    assert event["to_status"] == "paid" and "revived" in event["reason"]
    assert next(db.query("SELECT status FROM payments"))["status"] == "succeeded"
    # The customer is told the truth (paid; the order goes ahead), not "nothing was charged".
    receipt = store.emails.for_order_kind(db, order["id"], "payment_confirmation")
    assert json.loads(receipt["context_json"]) == {"after_expiry": True}
    assert client.get(f"/api/orders/{order['public_id']}/status").json()["status"] == "paid"
    # ... and the operator sees it.
    [line] = [x for x in insights.attention_lines(db) if "after its checkout expired" in x]
    assert order["order_number"] in line and "revived" in line
    # A redelivery changes nothing.
    again = send(client, payments.build_event("checkout.session.completed", paid(session)))
    assert again.json()["outcome"] == "already_fulfilled" and len(queue.jobs) == 1


def test_paid_after_expiry_with_erased_answers_is_shown_to_a_person(shop):
    from compass import insights

    client, queue, db, session = shop
    send(client, payments.build_event("checkout.session.expired",
                                      session | {"status": "expired"}))
    db.execute("UPDATE orders SET input_json = ?",
               [json.dumps({"company_name": "Deleted customer", "erased_at": "2026-01-01"})])
    late = send(client, payments.build_event("checkout.session.completed", paid(session)))
    assert late.json()["outcome"] == "paid_after_expiry_needs_a_person"
    assert order_of(db)["status"] == "expired" and queue.jobs == []
    [line] = [x for x in insights.attention_lines(db) if "after its checkout expired" in x]
    assert "refund it" in line


def test_charge_refunded_refunds_a_completed_order(shop):
    client, _queue, db, session = shop
    send(client, payments.build_event("checkout.session.completed", paid(session)))
    order = order_of(db)
    from compass import lifecycle

    lifecycle.transition(db, order["id"], "processing")
    lifecycle.transition(db, order["id"], "completed")
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_123",
              "refunded": True, "amount_refunded": 14900}
    response = send(client, payments.build_event("charge.refunded", charge))
    assert response.json()["outcome"] == "order_refunded"
    assert order_of(db)["status"] == "refunded"
    assert next(db.query("SELECT status FROM payments"))["status"] == "refunded"


def test_charge_refunded_for_an_unknown_payment_is_acknowledged(shop):
    client, _, _db, _ = shop
    charge = {"id": "ch_2", "object": "charge", "payment_intent": "pi_unknown", "refunded": True}
    response = send(client, payments.build_event("charge.refunded", charge))
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_payment"


def test_other_event_types_are_acknowledged_and_ignored(shop):
    client, _queue, db, _session = shop
    response = send(client, payments.build_event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert order_of(db)["status"] == "payment_pending"


def test_dev_webhook_secret_is_derived_from_secret_key_and_required_in_production():
    from compass.settings import Settings

    dev = payments.webhook_secret(Settings(SECRET_KEY="one"))
    assert dev.startswith("whsec_dev_")
    assert dev != payments.webhook_secret(Settings(SECRET_KEY="two"))
    assert payments.webhook_secret(Settings(STRIPE_WEBHOOK_SECRET="whsec_x")) == "whsec_x"
    with pytest.raises(RuntimeError):
        payments.webhook_secret(Settings(COMPASS_ENV="production"))


def test_oversized_payloads_are_refused_before_reading(shop):
    client, _, db, _ = shop
    response = client.post("/api/webhooks/stripe", content=b"{" + b" " * 600_000 + b"}",
                           headers={"Stripe-Signature": "t=1,v1=00"})
    assert response.status_code == 413 and db["stripe_events"].count == 0
