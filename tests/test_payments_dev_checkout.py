"""The development checkout: looks like Stripe's, signs like Stripe, uses our webhook."""

from __future__ import annotations

import pytest

from compass import store
from tests.fakes.web_app import csrf_from, db_of, place_order, web_client

OK, DECLINED = "4242 4242 4242 4242", "4000 0000 0000 0002"


@pytest.fixture
def checkout():
    with web_client() as (client, queue):
        response = place_order(client)
        path = response.headers["location"].removeprefix("http://127.0.0.1:8000")
        yield client, queue, db_of(client), path


def pay(client, path, card):
    token = csrf_from(client.get(path).text)
    return client.post(path, data={"csrf_token": token, "card_number": card},
                       follow_redirects=False)


def test_page_looks_like_a_checkout_with_a_card_number_field(checkout):
    client, _, _, path = checkout
    page = client.get(path)
    assert page.status_code == 200
    assert 'name="card_number"' in page.text and "$149" in page.text
    assert "Development checkout" in page.text
    assert "dana.ortiz@brightsmile.example" in page.text


def test_test_card_pays_through_the_signed_webhook_and_lands_on_status(checkout):
    client, queue, db, path = checkout
    response = pay(client, path, OK)
    session_id = path.rsplit("/", 1)[1]
    assert response.status_code == 303
    assert response.headers["location"] == f"/checkout/success?session_id={session_id}"
    [event] = list(db.query("SELECT * FROM stripe_events"))
    assert event["type"] == "checkout.session.completed" and event["outcome"] == "fulfilled"
    order = next(db.query("SELECT * FROM orders"))
    assert order["status"] == "paid" and len(queue.jobs) == 1
    final = client.get(response.headers["location"], follow_redirects=False)
    assert final.headers["location"] == f"/status/{order['public_id']}"
    assert len(queue.jobs) == 1  # the success page found it paid already
    # A paid checkout cannot be paid twice.
    again = pay(client, path, OK)
    assert again.status_code == 402 and "already been completed" in again.text
    assert db["stripe_events"].count == 1


def test_decline_card_shows_the_error_and_allows_another_try(checkout):
    client, queue, db, path = checkout
    declined = pay(client, path, DECLINED)
    assert declined.status_code == 402
    assert "Your card was declined" in declined.text
    assert 'name="card_number"' in declined.text
    assert next(db.query("SELECT status FROM orders"))["status"] == "payment_pending"
    assert db["stripe_events"].count == 0 and queue.jobs == []
    assert pay(client, path, "4242424242424242").status_code == 303
    assert next(db.query("SELECT status FROM orders"))["status"] == "paid"


def test_unknown_card_is_declined_with_a_hint(checkout):
    client, _, _, path = checkout
    response = pay(client, path, "1234 5678 9012 3456")
    assert response.status_code == 402 and "4242 4242 4242 4242" in response.text


def test_dev_checkout_post_needs_csrf(checkout):
    client, _, db, path = checkout
    response = client.post(path, data={"card_number": OK}, follow_redirects=False)
    assert response.status_code == 403
    assert next(db.query("SELECT status FROM orders"))["status"] == "payment_pending"


def test_unknown_session_is_404(checkout):
    client, _, _, _ = checkout
    assert client.get("/dev/checkout/cs_test_dev_nope").status_code == 404


def test_cancel_link_goes_to_checkout_cancel(checkout):
    client, _, db, path = checkout
    order = next(db.query("SELECT * FROM orders"))
    assert f'href="http://127.0.0.1:8000/checkout/cancel?order={order["public_id"]}"' in \
        client.get(path).text
    assert store.orders.get(db, order["id"])["status"] == "payment_pending"
