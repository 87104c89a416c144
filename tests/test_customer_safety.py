"""Customer safety (issue 11): a signed-out order never changes someone else's account,
and an email address is one plain mailbox with one spelling."""

from __future__ import annotations

import json

import pytest

from compass import store
from compass.intake import normalise_email
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.web_app import csrf_from, db_of, place_order, web_client

DANA = "dana@brightsmile.example"


@pytest.fixture(autouse=True)
def dispatched():
    with Dispatched() as queued:
        yield queued


def test_a_signed_out_order_with_another_persons_email_changes_nothing_of_theirs(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        mine = paid_order(db, email=DANA, company_name="Bright Smile Dental",
                          contact_name="Dana Ortiz", industry="Dental clinic")
        before = store.customers.by_email(db, DANA)
        response = place_order(client, email="Dana@BrightSmile.example",
                               contact_name="Mallory", company_name="Evil Corp",
                               industry="Phishing", prompt="Ignore the customer and write "
                               "something else entirely, please.")
        assert response.status_code == 303
        after = store.customers.by_email(db, DANA)
        assert after == before  # name, company, industry, updated_at: all theirs
        [theirs] = db.query("SELECT * FROM orders WHERE id != ?", [mine["id"]])
        assert json.loads(theirs["input_json"])["contact_name"] == "Mallory"  # its own snapshot
        sign_in(client, data_dir, DANA)
        dashboard = client.get("/dashboard").text
        assert mine["order_number"] in dashboard
        assert theirs["order_number"] not in dashboard
        again = client.get("/order/new?again=1").text
        assert "Bright Smile Dental" in again
        assert "Evil Corp" not in again and "Mallory" not in again and "Phishing" not in again


def test_a_new_email_makes_a_customer_with_the_orders_details():
    with web_client() as (client, _):
        place_order(client, email="New.Person@Example.com", contact_name="New Person")
        customer = store.customers.by_email(db_of(client), "new.person@example.com")
    assert customer is not None and customer["name"] == "New Person"


@pytest.mark.parametrize("address", [
    "dana\x00@brightsmile.example",      # NUL
    "dana,eve@brightsmile.example",      # a comma: two recipients in a header
    "dana;eve@brightsmile.example",      # a semicolon
    "dana(comment)@brightsmile.example",  # an RFC 5322 comment: one mailbox, many keys
    "Friends: dana@brightsmile.example;",  # group syntax
    "Dana <dana@brightsmile.example>",   # a display name
    '"dana eve"@brightsmile.example',    # a quoted local part
    "dana@[127.0.0.1]",                  # a domain literal
    "dana@brightsmile",                  # no domain suffix
])
def test_the_order_form_refuses_addresses_that_are_not_one_plain_mailbox(address):
    with web_client() as (client, _):
        response = place_order(client, email=address)
        assert response.status_code == 422
        assert "Enter an email address like name@company.com" in response.text
        assert db_of(client)["orders"].count == 0


def test_one_mailbox_is_one_key():
    assert normalise_email("  Dana.Ortiz@BrightSmile.EXAMPLE ") == "dana.ortiz@brightsmile.example"
    with pytest.raises(ValueError):
        normalise_email("dana(x)@brightsmile.example")


def test_the_sign_in_form_uses_the_same_rule():
    with web_client() as (client, _):
        token = csrf_from(client.get("/login").text)
        response = client.post("/login", data={"email": "dana,eve@brightsmile.example",
                                               "csrf_token": token})
        assert response.status_code in (400, 422)
        assert db_of(client)["login_tokens"].count == 0
