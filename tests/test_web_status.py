"""The status page, its HTMX fragment, the JSON API and the report page."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from compass import lifecycle, store
from tests.fakes.web_app import db_of, place_order, web_client


@pytest.fixture
def site():
    with web_client() as (client, _queue):
        place_order(client, tier="premium")
        db = db_of(client)
        order = next(db.query("SELECT * FROM orders"))
        yield client, db, order


def move(db, order, *statuses, **fields):
    for status in statuses:
        lifecycle.transition(db, order["id"], status)
    if fields:
        assignments = ", ".join(f"{k} = ?" for k in fields)
        db.execute(f"UPDATE orders SET {assignments} WHERE id = ?", [*fields.values(), order["id"]])


POLLING = 'hx-trigger="every 2s"'


def test_processing_order_polls_and_shows_phase_and_progress(site):
    client, db, order = site
    move(db, order, "paid", "processing", progress_percent=42, phase="sample",
         phase_label="Comparing five independent analyses: 3 of 5 done")
    page = client.get(f"/status/{order['public_id']}")
    fragment = client.get(f"/status/{order['public_id']}/progress")
    assert page.status_code == fragment.status_code == 200
    assert order["order_number"] in page.text and "Premium" in page.text
    assert f'hx-get="/status/{order["public_id"]}/progress"' in fragment.text
    assert POLLING in fragment.text and 'hx-swap="outerHTML"' in fragment.text
    assert '<progress max="100" value="42"' in fragment.text
    assert "Comparing five independent analyses: 3 of 5 done" in fragment.text
    assert '<meta http-equiv="refresh"' in page.text  # updates without JavaScript too
    assert "<html" not in fragment.text  # a fragment, not a page


def test_completed_order_stops_polling_and_links_the_report(site):
    client, db, order = site
    move(db, order, "paid", "processing")
    lifecycle.transition(db, order["id"], "completed", fields={
        "progress_percent": 100, "phase": "done",
        "result_json": json.dumps({"workflows": [{"name": "Smart <b>reminders</b>",
                                                  "domain": "operations",
                                                  "description": "Cuts no-shows."}],
                                   "qa": {"score": 8.5}, "offline": True})})
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    page = client.get(f"/status/{order['public_id']}").text
    report = client.get(f"/orders/{order['public_id']}/report")
    assert POLLING not in fragment and "hx-get" not in fragment
    assert "http-equiv" not in page
    assert f'href="/orders/{order["public_id"]}/report"' in fragment
    assert report.status_code == 200
    assert "Smart &lt;b&gt;reminders&lt;/b&gt;" in report.text  # model output is escaped
    assert "offline demonstration model" in report.text


@pytest.mark.parametrize("path,words", [
    (("paid", "processing", "failed"), "refunded automatically"),
    (("paid", "processing", "failed", "refunded"), "has been refunded"),
    (("expired",), "nothing was charged"),
])
def test_final_states_stop_polling_and_say_what_happens_next(site, path, words):
    client, db, order = site
    move(db, order, *path)
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    assert POLLING not in fragment
    assert words in fragment
    report = client.get(f"/orders/{order['public_id']}/report")
    assert report.status_code == 409


def test_status_json_has_the_contract_fields(site):
    client, db, order = site
    move(db, order, "paid", "processing", progress_percent=18, phase="sample")
    body = client.get(f"/api/orders/{order['public_id']}/status").json()
    assert body["order_id"] == order["public_id"]
    assert body["order_number"] == order["order_number"]
    assert body["status"] == "processing" and body["phase"] == "sample"
    assert body["progress_percent"] == 18
    assert body["created_at"] == order["created_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["estimated_completion_time"])


def test_pending_order_offers_payment_and_no_estimate(site):
    client, _db, order = site
    body = client.get(f"/api/orders/{order['public_id']}/status").json()
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    assert body["status"] == "payment_pending" and body["estimated_completion_time"] is None
    assert f'action="/orders/{order["public_id"]}/checkout"' in fragment


def test_pages_reveal_no_customer_details(site):
    client, db, order = site
    move(db, order, "paid")
    for path in (f"/status/{order['public_id']}", f"/status/{order['public_id']}/progress",
                 f"/api/orders/{order['public_id']}/status"):
        text = client.get(path).text
        assert "dana" not in text.lower() and "brightsmile" not in text.lower()


def test_one_customers_id_does_not_open_another_order(site):
    client, db, order = site
    place_order(client, email="someone@else.example", company_name="Other Co")
    other = next(db.query("SELECT * FROM orders WHERE id != ?", [order["id"]]))
    page = client.get(f"/status/{order['public_id']}").text
    assert other["order_number"] not in page
    assert client.get(f"/status/{order['public_id']}-").status_code == 404
    assert client.get(f"/orders/{order['public_id'][::-1]}/report").status_code == 404
    # Guessing nearby order numbers is pointless: the URL takes the public id only.
    assert client.get(f"/status/{order['order_number']}").status_code == 404


def test_retry_checkout_for_a_paid_order_just_shows_its_status(site):
    from tests.fakes.web_app import csrf_from

    client, db, order = site
    move(db, order, "paid")
    token = csrf_from(client.get("/order/new").text)
    response = client.post(f"/orders/{order['public_id']}/checkout", data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/status/{order['public_id']}"
    assert db["payments"].count == 1
    assert store.orders.get(db, order["id"])["status"] == "paid"


def test_the_page_lists_every_step_with_the_current_one_marked(site):
    client, db, order = site
    move(db, order, "paid", "processing", progress_percent=42, phase="sample")
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    steps = re.findall(r'<li class="step step-(\w+)"[^>]*>.*?</span> ([^<]+)<', fragment)
    assert [s[0] for s in steps] == ["done"] * 3 + ["current"] + ["todo"] * 4, steps
    assert steps[3][1] == "Five independent analyses of your business"
    assert fragment.count('aria-current="step"') == 1
    assert "You can close this page" in fragment and "email you" in fragment
    assert re.search(r"About \d+ minutes? to go|less than a minute", fragment), fragment
    assert "analyst slot" not in fragment and "UTC" not in fragment


def test_a_running_order_never_says_ready_or_100(site):
    client, db, order = site
    # The engine's last progress call (100, "done") lands just before the report is stored.
    move(db, order, "paid", "processing", progress_percent=100, phase="done",
         phase_label="Your report is ready")
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    said = re.search(r"<h2[^>]*>(.*?)</h2>.*?<p role=\"status\">(.*?)</p>", fragment, re.S)
    assert said and "ready" not in " ".join(said.groups()).lower(), fragment
    assert 'value="100"' not in fragment and "99%" in fragment
    assert "/report" not in fragment
    # The last step (report ready) is still to come; the quality check is where it is.
    assert re.search(r'step-todo"[^>]*>.*?Report ready', fragment)
    assert re.search(r'step-current"[^>]*>.*?Quality check', fragment)


def test_paid_order_waits_in_plain_words(site):
    client, db, order = site
    move(db, order, "paid")
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    assert "Payment received" in fragment and "analyst" not in fragment
    assert re.search(r'step-done"[^>]*>.*?Payment received', fragment)


def test_a_finished_order_ticks_every_step_and_stops_saying_it_updates(site):
    client, db, order = site
    move(db, order, "paid", "processing")
    lifecycle.transition(db, order["id"], "completed", fields={
        "progress_percent": 100, "phase": "done", "result_json": json.dumps({"workflows": []})})
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    page = client.get(f"/status/{order['public_id']}").text
    assert fragment.count("step-done") == 8 and "step-current" not in fragment
    assert "updates by itself" not in page and "You can close this page" not in fragment
    assert f'href="/orders/{order["public_id"]}/report"' in fragment


def test_an_overdue_phase_says_it_is_running_late(site):
    client, db, order = site
    move(db, order, "paid", "processing", progress_percent=30, phase="sample",
         phase_started_at="2020-01-01T00:00:00.000000Z")
    fragment = client.get(f"/status/{order['public_id']}/progress").text
    assert "Running late — we will email you" in fragment


def test_the_bar_moves_within_a_long_phase_but_never_into_the_next(site):
    from compass import clock, progress

    client, db, order = site
    sample_seconds = progress.phase_estimates(db, "premium")["sample"]
    started = clock.iso(clock.now() - dt.timedelta(seconds=sample_seconds / 2))
    move(db, order, "paid", "processing", progress_percent=18, phase="sample",
         phase_started_at=started)
    halfway = client.get(f"/status/{order['public_id']}/progress").text
    value = int(re.search(r'<progress max="100" value="(\d+)"', halfway).group(1))
    assert 18 < value < 70, value  # half the usual time: about half of the phase's span
    long_ago = clock.iso(clock.now() - dt.timedelta(hours=3))
    db.execute("UPDATE orders SET phase_started_at = ? WHERE id = ?", [long_ago, order["id"]])
    overdue = client.get(f"/status/{order['public_id']}/progress").text
    value = int(re.search(r'<progress max="100" value="(\d+)"', overdue).group(1))
    assert value < 70  # the next phase starts when the work says so, not the clock
    assert client.get(f"/api/orders/{order['public_id']}/status").json()[
        "progress_percent"] == 18  # the API reports what the worker wrote
