"""The customer area: dashboard, order again, the account page, and who may see what."""

from __future__ import annotations

import json
import re

import pytest

from compass import store
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, outbox_links, press_link_button, sign_in
from tests.fakes.web_app import VALID_ORDER, csrf_from, db_of, web_client

DANA = "dana@brightsmile.example"
EVE = "eve@intruder.example"


@pytest.fixture(autouse=True)
def queue():
    with Dispatched() as dispatched:
        yield dispatched


def test_the_dashboard_lists_every_order_newest_first_with_its_links(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        first = paid_order(db, email=DANA, tier="starter", status="completed")
        second = paid_order(db, email=DANA, tier="premium", status="processing")
        pending = paid_order(db, email=DANA, status="completed")
        db.execute("UPDATE orders SET status = 'expired', paid_at = NULL WHERE id = ?",
                   [pending["id"]])
        paid_order(db, email=EVE)  # someone else's
        sign_in(client, data_dir, DANA)
        page = client.get("/dashboard")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        numbers = re.findall(r"ORD-\d{4}-\d{6}", page.text)
        # An order never paid is left out: anyone can type an address into the form, so
        # only a payment makes an order part of someone's history (issue 11).
        assert pending["order_number"] not in numbers
        assert numbers == [second["order_number"], first["order_number"]]
        rows = page.text.split("<tr>")[2:]
        processing, completed = rows
        assert "Being prepared" in processing and "$399" in processing
        assert f"/orders/{second['public_id']}/report" not in processing
        for link in ("status", "report", "download", "receipt", "refund"):
            path = f"/status/{first['public_id']}" if link == "status" else \
                f"/orders/{first['public_id']}/{link}"
            assert path in completed, link
        assert "Starter" in completed and "$49" in completed
        assert "/revision" not in completed  # starter includes no revision
        assert 'href="/order/new?again=1"' in page.text


def test_order_again_prefills_the_form_from_the_latest_order(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA, tier="premium", industry="Dental practice",
                   prompt="Two dental practices with a busy phone line all day long.")
        sign_in(client, data_dir, DANA)
        form = client.get("/order/new?again=1").text
        assert 'value="Dental practice"' in form
        assert "Two dental practices with a busy phone line all day long." in form
        assert f'value="{DANA}"' in form
        assert re.search(r'value="premium"\s+checked', form)
        assert 'value="11-50" selected' in form
        # Signed out, "again" is an empty form.
        client.cookies.clear()
        assert 'value="Dental practice"' not in client.get("/order/new?again=1").text


def test_profile_changes_are_validated_saved_and_prefill_the_next_order(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA)
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/account").text)
        bad = client.post("/account", data={
            "csrf_token": token, "action": "profile", "name": "", "company_name": "New Co",
            "company_website": "not a site", "industry": "Dental", "company_size": "9"})
        assert bad.status_code == 422
        assert "This is required." in bad.text and "Enter a web address" in bad.text
        assert 'value="New Co"' in bad.text  # nothing typed is lost
        good = client.post("/account", data={
            "csrf_token": token, "action": "profile", "name": "Dana O.",
            "company_name": "Bright Smile Group", "company_website": "brightsmile.example",
            "industry": "Dental group", "company_size": "51-200"}, follow_redirects=False)
        assert good.status_code == 303
        customer = store.customers.by_email(db, DANA)
        assert customer["company_name"] == "Bright Smile Group"
        assert customer["company_website"] == "https://brightsmile.example"
        form = client.get("/order/new?again=1").text
        assert 'value="Bright Smile Group"' in form and 'value="51-200" selected' in form
        assert client.post("/account", data={"action": "profile", "name": "x"}).status_code == 403


def test_changing_the_email_needs_the_new_address_confirmed(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        paid_order(db, email=DANA)
        paid_order(db, email=EVE)
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/account").text)
        invalid = client.post("/account", data={"csrf_token": token, "action": "email",
                                                "new_email": "nope"})
        assert invalid.status_code == 422 and "Enter an email address" in invalid.text
        sent = client.post("/account", data={"csrf_token": token, "action": "email",
                                             "new_email": "Dana@NewClinic.example"},
                           follow_redirects=False)
        assert sent.status_code == 303
        assert store.customers.by_email(db, DANA) is not None  # unchanged until confirmed
        [link] = outbox_links(data_dir, "/account/email/")
        mail = max((data_dir / "outbox").glob("*.eml")).read_text()
        assert "To: dana@newclinic.example" in mail
        opened = client.get("/" + link.split("/", 3)[3])
        assert "dana@newclinic.example" in opened.text
        assert store.customers.by_email(db, DANA) is not None  # opening changes nothing
        confirmed = press_link_button(client, link)  # the page's button
        assert confirmed.headers["location"] == "/account?notice=email_changed"
        assert store.customers.by_email(db, DANA) is None
        assert store.customers.by_email(db, "dana@newclinic.example") is not None
        assert client.get("/" + link.split("/", 3)[3]).status_code == 410  # works once
        assert "dana@newclinic.example" in client.get("/account").text  # still signed in
        # Someone else's address cannot be taken over.
        client.post("/account", data={"csrf_token": token, "action": "email",
                                       "new_email": EVE})
        taken = outbox_links(data_dir, "/account/email/")[-1]
        answer = press_link_button(client, taken)
        assert answer.status_code == 409 and "already has an account" in answer.text
        assert store.customers.by_email(db, EVE)["id"] != \
            store.customers.by_email(db, "dana@newclinic.example")["id"]


def test_export_holds_all_my_data_and_nobody_elses(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, pain_point="Our very own pain point.")
        friends = paid_order(db, email=EVE, pain_point="Eve's secret pain.")
        with store.transaction(db):  # Dana referred Eve; Eve's reward code is Dana's alone
            referral = store.referrals.insert(db, referrer_id=order["customer_id"],
                                              referred_id=friends["customer_id"],
                                              order_id=friends["id"])
            db.conn.execute("UPDATE referrals SET reward_code = 'THANKS-DANA' WHERE id = ?",
                            [referral])
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/account").text)
        response = client.post("/account", data={"csrf_token": token, "action": "export"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert "attachment" in response.headers["content-disposition"]
        data = json.loads(response.text)
        assert data["customer"]["email"] == DANA
        [exported] = data["orders"]
        assert exported["order_number"] == order["order_number"]
        assert exported["input"]["pain_point"] == "Our very own pain point."
        assert exported["result"]["workflows"]
        assert len(data["payments"]) == 1 and data["sessions"]
        [referred] = data["referrals"]
        assert referred["role"] == "you referred" and referred["reward_code"] == "THANKS-DANA"
        assert referred["order_number"] == friends["order_number"]
        assert "Eve" not in response.text and EVE not in response.text
        # Eve's own export names the referral, without Dana's reward code.
        client.cookies.clear()
        sign_in(client, data_dir, EVE)
        token = csrf_from(client.get("/account").text)
        eves = json.loads(client.post("/account", data={"csrf_token": token,
                                                         "action": "export"}).text)
        assert [(r["role"], r["reward_code"]) for r in eves["referrals"]] == [
            ("you were referred", None)]


def test_deleting_the_account_erases_personal_data_and_keeps_payment_records(data_dir):
    with web_client() as (client, _):
        db = db_of(client)
        order = paid_order(db, email=DANA, pain_point="Something personal.")
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/account").text)
        page = client.get("/account").text
        assert "the law requires" in page
        unconfirmed = client.post("/account", data={"csrf_token": token, "action": "delete"})
        assert unconfirmed.status_code == 422 and "Type DELETE" in unconfirmed.text
        gone = client.post("/account", data={"csrf_token": token, "action": "delete",
                                             "confirm": "delete"})
        assert gone.status_code == 200 and "Your account is deleted" in gone.text
        assert client.get("/dashboard", follow_redirects=False).status_code == 303
        [customer] = db.query("SELECT * FROM customers")
        assert customer["email"].endswith("@deleted.invalid") and customer["deleted_at"]
        assert customer["name"] == "" and customer["company_name"] == ""
        kept = store.orders.get(db, order["id"])
        assert kept["order_number"] == order["order_number"]
        assert kept["amount_cents"] == order["amount_cents"] and kept["paid_at"]
        assert "Something personal" not in kept["input_json"] and kept["result_json"] is None
        assert DANA not in json.dumps(list(db.query("SELECT * FROM orders")))
        assert db["payments"].count == 1
        assert db["sessions"].count == 0 and db["login_tokens"].count == 0
        # The address can order again later, as a new customer.
        assert store.customers.by_email(db, DANA) is None


def test_an_account_with_a_report_in_progress_is_not_deleted(data_dir):
    with web_client() as (client, _):
        paid_order(db_of(client), email=DANA, status="processing")
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/account").text)
        refused = client.post("/account", data={"csrf_token": token, "action": "delete",
                                                "confirm": "DELETE"})
        assert refused.status_code == 409 and "still being prepared" in refused.text
        assert store.customers.by_email(db_of(client), DANA) is not None


def test_signed_out_visitors_are_sent_to_sign_in(data_dir):
    with web_client() as (client, _):
        order = paid_order(db_of(client), email=DANA)
        for path in ("/dashboard", "/account", f"/orders/{order['public_id']}/refund",
                     f"/orders/{order['public_id']}/revision",
                     f"/orders/{order['public_id']}/versions/1"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=/"), path
        for path in ("/account", f"/orders/{order['public_id']}/refund",
                     f"/orders/{order['public_id']}/revision"):
            response = client.post(path, data={}, follow_redirects=False)
            assert response.status_code == 303, path


def test_a_customer_gets_404_for_every_private_url_of_another_customers_order(data_dir, queue):
    with web_client() as (client, _):
        db = db_of(client)
        dana_order = paid_order(db, email=DANA, tier="premium")
        paid_order(db, email=EVE, tier="premium")
        sign_in(client, data_dir, EVE)
        token = csrf_from(client.get("/dashboard").text)
        public_id = dana_order["public_id"]
        gets = [f"/orders/{public_id}/refund", f"/orders/{public_id}/revision",
                f"/orders/{public_id}/versions/1", f"/orders/{public_id}/versions/2"]
        posts = {f"/orders/{public_id}/refund": {"reason": "I want Dana's money",
                                                 "confirm": "yes"},
                 f"/orders/{public_id}/revision": {"notes": "Rewrite Dana's report for me"}}
        for path in gets:
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
        for path, data in posts.items():
            response = client.post(path, data=data | {"csrf_token": token},
                                   follow_redirects=False)
            assert response.status_code == 404, path
        # An id that does not exist answers exactly the same.
        missing = client.get("/orders/does-not-exist/refund")
        assert missing.status_code == 404
        assert missing.text == client.get(f"/orders/{public_id}/refund").text
        # Nothing happened to Dana's order; Eve's dashboard does not show it.
        assert db["refunds"].count == 0 and db["revisions"].count == 0
        assert queue.refunds == [] and queue.revisions == []
        assert dana_order["order_number"] not in client.get("/dashboard").text
        assert store.orders.get(db, dana_order["id"])["status"] == "completed"


def test_an_admin_who_is_not_the_owner_gets_404_too(data_dir):
    with web_client(ADMIN_EMAILS="ops@compass.example") as (client, _):
        order = paid_order(db_of(client), email=DANA)
        sign_in(client, data_dir, "ops@compass.example")
        assert client.get(f"/orders/{order['public_id']}/refund").status_code == 404


def test_the_header_says_who_is_signed_in(data_dir):
    with web_client() as (client, _):
        paid_order(db_of(client), email=DANA)
        assert 'href="/login">Sign in' in client.get("/").text
        sign_in(client, data_dir, DANA)
        assert 'href="/dashboard">Your orders' in client.get("/").text


def test_order_form_still_places_orders_for_signed_in_customers(data_dir):
    with web_client() as (client, _):
        paid_order(db_of(client), email=DANA)
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/order/new?again=1").text)
        response = client.post("/orders", data=VALID_ORDER | {"csrf_token": token},
                               follow_redirects=False)
        assert response.status_code == 303
