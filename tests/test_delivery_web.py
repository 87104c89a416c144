"""The report page, the PDF download (counted, 410 after refund), the receipt download and
the development outbox, over HTTP."""

from __future__ import annotations

import json

import pytest

from compass import lifecycle, store
from compass import queue as work
from compass.settings import Settings
from tests.factories import checkout_paid_order, complete_with, engine_result
from tests.fakes.delivery import CapturedQueue, deliver_all
from tests.fakes.web_app import db_of, web_client

HOSTILE = '<script>alert(1)</script><img src=file:///etc/passwd>'


@pytest.fixture
def site():
    queue = CapturedQueue()
    with work.replaced(send_email=queue), web_client() as (client, _jobs):
        yield client, db_of(client), queue


def test_report_page_download_and_receipt_of_a_completed_order(site):
    client, db, _queue = site
    order = checkout_paid_order(db, "standard", company_name=HOSTILE)
    order = complete_with(db, order, engine_result(db, "standard", company_name=HOSTILE))
    page = client.get(f"/orders/{order['public_id']}/report")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert page.text.count('class="workflow"') == 5
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=file:///etc/passwd&gt;" in page.text
    assert "<script>alert" not in page.text and "<img src=file" not in page.text
    for section in ("Executive summary", "Roadmap", "How confident we are", "Quality score",
                    "How this report was made", "offline demonstration model"):
        assert section in page.text
    assert f'href="/orders/{order["public_id"]}/download"' in page.text

    assert store.orders.get(db, order["id"])["downloads_count"] == 0
    download = f"/orders/{order['public_id']}/download"
    # What a browser sends when a person clicks or types the link (scripts cannot set it).
    person = {"Sec-Fetch-User": "?1", "Sec-Fetch-Mode": "navigate"}
    assert client.head(download, headers=person).status_code == 200
    scanned = client.get(download)  # a mail scanner or link preview: served, not counted
    assert scanned.status_code == 200 and scanned.content.startswith(b"%PDF-")
    assert store.orders.get(db, order["id"])["downloads_count"] == 0
    pdf = client.get(download, headers=person)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="AI-Readiness-Report-{order["order_number"]}.pdf"')
    partial = client.get(download, headers=person | {"Range": "bytes=100-199"})
    assert partial.status_code == 206 and len(partial.content) == 100
    counted = store.orders.get(db, order["id"])
    assert counted["downloads_count"] == 1 and counted["last_downloaded_at"]  # GET only
    client.get(download, headers=person)
    assert store.orders.get(db, order["id"])["downloads_count"] == 2

    receipt = client.get(f"/orders/{order['public_id']}/receipt")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF-")
    assert f'filename="Receipt-{order["order_number"]}.pdf"' in receipt.headers[
        "content-disposition"]


def test_the_download_serves_the_stored_pdf_without_rendering(site, monkeypatch):
    client, db, _queue = site
    order = complete_with(db, checkout_paid_order(db, "starter"), engine_result(db, "starter"))
    from compass import pdf

    def no_rendering(*args, **kwargs):
        raise AssertionError("the download must not render")

    monkeypatch.setattr(pdf, "render_pdf", no_rendering)
    stored = (client.app.state.compass.settings.COMPASS_DATA_DIR  # type: ignore[attr-defined]
              / order["report_pdf_path"]).read_bytes()
    assert client.get(f"/orders/{order['public_id']}/download").content == stored


def test_after_a_refund_the_download_is_gone_with_an_explanation(site):
    client, db, _queue = site
    order = complete_with(db, checkout_paid_order(db, "starter"), engine_result(db, "starter"))
    lifecycle.transition(db, order["id"], "refunded", reason="refunded at Stripe")
    gone = client.get(f"/orders/{order['public_id']}/download")
    assert gone.status_code == 410
    assert "was refunded" in gone.text and "$49" in gone.text and "5–10" in gone.text
    assert store.orders.get(db, order["id"])["downloads_count"] == 0
    assert client.get(f"/orders/{order['public_id']}/report").status_code == 409
    assert client.get(f"/orders/{order['public_id']}/receipt").status_code == 200
    rows = db["emails"].rows_where("order_id = ?", [order["id"]], order_by="id")
    kinds = [e["kind"] for e in rows]
    assert kinds == ["payment_confirmation", "report_ready", "refund_processed"]


def test_before_completion_the_report_is_a_friendly_pending_page(site):
    client, db, _queue = site
    order = checkout_paid_order(db, "premium")
    page = client.get(f"/orders/{order['public_id']}/report")
    assert page.status_code == 200 and "being prepared" in page.text
    assert f'href="/status/{order["public_id"]}"' in page.text
    assert client.get(f"/orders/{order['public_id']}/download").status_code == 200  # pending
    assert "being prepared" in client.get(f"/orders/{order['public_id']}/download").text


def test_order_urls_never_reach_another_order(site):
    client, db, _queue = site
    mine = complete_with(db, checkout_paid_order(db, "starter"), engine_result(db, "starter"))
    other = checkout_paid_order(db, "starter", company_name="Other Company Ltd",
                       email="someone@other.example")
    page = client.get(f"/orders/{mine['public_id']}/report").text
    assert other["order_number"] not in page and "Other Company" not in page
    for path in ("report", "download", "receipt"):
        assert client.get(f"/orders/{mine['public_id'][::-1]}/{path}").status_code == 404
        assert client.get(f"/orders/{mine['order_number']}/{path}").status_code == 404
    theirs = client.get(f"/orders/{other['public_id']}/receipt")
    assert theirs.status_code == 200 and theirs.content != client.get(
        f"/orders/{mine['public_id']}/receipt").content


def test_dev_outbox_lists_and_renders_each_email(site):
    client, db, queue = site
    order = checkout_paid_order(db, "standard")
    deliver_all(db, queue)
    listing = client.get("/dev/outbox")
    assert listing.status_code == 200
    assert "Payment received - your AI Readiness Compass report is being prepared" in listing.text
    name = listing.text.split('href="/dev/outbox/')[1].split('"')[0]
    message = client.get(f"/dev/outbox/{name}")
    assert message.status_code == 200
    assert '<iframe class="outbox-frame"' in message.text
    assert 'sandbox="allow-popups' in message.text
    assert "srcdoc=\"&lt;!doctype html&gt;" in message.text  # the email, escaped into srcdoc
    assert f'href="http://127.0.0.1:8000/status/{order["public_id"]}"' in message.text
    assert "Receipt-ORD-" in message.text
    assert "script-src" not in message.headers["content-security-policy"]
    for bad in ("..%2Fcompass.db", "x.txt", ".hidden.eml"):
        assert client.get(f"/dev/outbox/{bad}").status_code == 404


def test_dev_outbox_does_not_exist_in_production():
    production = Settings(COMPASS_ENV="production", SECRET_KEY="s" * 40,
                          BASE_URL="https://compass.example", STRIPE_SECRET_KEY="sk_test_x",
                          STRIPE_WEBHOOK_SECRET="whsec_x", ANTHROPIC_API_KEY="k",
                          SMTP_HOST="smtp.example", MAIL_FROM="r@compass.example")
    with web_client(production) as (client, _queue):
        assert client.get("/dev/outbox").status_code == 404


def test_a_broken_result_is_an_error_page_not_a_crash(site):
    client, db, _queue = site
    order = checkout_paid_order(db, "starter")
    lifecycle.transition(db, order["id"], "processing")
    lifecycle.transition(db, order["id"], "completed",
                         fields={"result_json": json.dumps({"workflows": []})})
    page = client.get(f"/orders/{order['public_id']}/report")
    assert page.status_code == 500 and "cannot be shown" in page.text


def test_the_report_opens_before_its_pdf_and_the_download_waits(site):
    client, db, _queue = site
    order = complete_with(db, checkout_paid_order(db, "starter"), engine_result(db, "starter"),
                          with_pdf=False)
    assert order["status"] == "completed" and not order["report_pdf_path"]
    page = client.get(f"/orders/{order['public_id']}/report")
    assert page.status_code == 200 and "being prepared" in page.text
    waiting = client.get(f"/orders/{order['public_id']}/download",
                         headers={"Sec-Fetch-Mode": "navigate"})
    assert waiting.status_code == 202 and waiting.headers["retry-after"] == "5"
    assert "Your PDF is being prepared" in waiting.text and 'http-equiv="refresh"' in waiting.text
    assert f'href="/orders/{order["public_id"]}/report"' in waiting.text
    assert store.orders.get(db, order["id"])["downloads_count"] == 0
    from compass import documents
    from compass.settings import get_settings

    documents.ensure_report_pdf(db, store.orders.get(db, order["id"]), get_settings())
    ready = client.get(f"/orders/{order['public_id']}/download")
    assert ready.status_code == 200 and ready.content.startswith(b"%PDF-")
