"""Every email, delivered over real SMTP (aiosmtpd on 127.0.0.1) through the real send job.

Kinds, subjects, recipients, links, PDF attachments (page counts by pypdf), exactly-once
delivery across retries and duplicate jobs, STARTTLS that is never skipped, and customer
text that stays inert in the HTML part.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from pypdf import PdfReader

from compass import clock, lifecycle, mail, notifications, store
from compass import queue as work
from compass.settings import get_settings
from tests.factories import checkout_paid_order, complete_with, engine_result
from tests.fakes.delivery import CapturedQueue, deliver_all
from tests.fakes.smtp import smtp_server

SUBJECTS = {
    "payment_confirmation": "Payment received - your AI Readiness Compass report is being prepared",
    "report_ready": "Your AI Readiness Compass report is ready",
    "processing_failed": "Issue with your AI Readiness Compass order",
    "refund_processed": "Refund processed for your AI Readiness Compass order",
}


@pytest.fixture
def smtp(monkeypatch):
    with smtp_server() as (mailbox, port):
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(port))
        monkeypatch.setenv("SMTP_SECURITY", "none")
        monkeypatch.setenv("BASE_URL", "https://compass.example")
        get_settings.cache_clear()
        yield mailbox


@pytest.fixture
def queue():
    captured = CapturedQueue()
    with work.replaced(send_email=captured):
        yield captured


def pdf_pages(message, filename_start: str) -> int:
    [attachment] = [a for a in message.iter_attachments()
                    if a.get_filename().startswith(filename_start)]
    assert attachment.get_content_type() == "application/pdf"
    data = attachment.get_content()
    assert data.startswith(b"%PDF-")
    return len(PdfReader(io.BytesIO(data)).pages)


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_completed_order_sends_receipt_then_report_with_pdfs(db, smtp, queue):
    order = checkout_paid_order(db, "premium")
    assert deliver_all(db, queue) == ["sent"]
    complete_with(db, order, engine_result(db, "premium"))
    assert deliver_all(db, queue) == ["sent"]

    confirmation, ready = smtp.messages()
    assert confirmation["Subject"] == SUBJECTS["payment_confirmation"]
    assert ready["Subject"] == SUBJECTS["report_ready"]
    assert [r.rcpt_tos for r in smtp.received] == [["maria@brightsidedental.example.com"]] * 2
    assert confirmation["To"] == "maria@brightsidedental.example.com"
    assert pdf_pages(confirmation, "Receipt-ORD-") == 1
    # The attached report: the PDF the worker stored, with numbered pages, a running header
    # and footer, every section and every workflow.
    [attachment] = [a for a in ready.iter_attachments()
                    if a.get_filename() == f"AI-Readiness-Report-{order['order_number']}.pdf"]
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(attachment.get_content())).pages]
    [version] = store.reports.versions(db, order["id"])
    assert len(pages) == version["pages"] >= 10
    for number, text in enumerate(pages[1:], start=2):  # the cover has no running header
        assert f"Page {number} of {len(pages)}" in text
        assert "Brightside Family Dental" in text and order["order_number"] in text
    whole = "\n".join(pages).lower()
    for heading in ("Executive summary", "Your prioritised workflows", "Roadmap",
                    "How confident we are", "How this report was made", "Cost and return",
                    "How to implement it", "Demonstration copy"):
        assert heading.lower() in whole, heading
    for rank in range(1, 9):  # every workflow, in priority order
        assert f"priority {rank} " in whole
    base = f"https://compass.example/orders/{order['public_id']}"
    for part in (html_of(ready), text_of(ready)):
        # The report page, never the download itself: a mail scanner must not count one.
        assert f"{base}/report" in part and "/download" not in part
        assert f"https://compass.example/status/{order['public_id']}" in part
    assert f"https://compass.example/status/{order['public_id']}" in text_of(confirmation)
    assert order["order_number"] in text_of(confirmation) and "$399" in text_of(confirmation)
    assert "offline demonstration model" in text_of(ready)  # the offline engine made it
    # The summary: readiness, the business case, and the chart where the client draws SVG.
    for part in (html_of(ready), text_of(ready)):
        assert "AI readiness" in part and "The business case:" in part
    assert "<svg" in html_of(ready) and "<svg" not in text_of(ready)
    # HTML part: inline styles, no <style> block or external CSS (mail clients drop those).
    assert "<style" not in html_of(ready) and "<link" not in html_of(ready)
    assert 'style="' in html_of(ready)
    rows = list(db["emails"].rows_where("order_id = ?", [order["id"]], order_by="id"))
    assert [(r["kind"], r["status"], r["attempts"]) for r in rows] == [
        ("payment_confirmation", "sent", 1), ("report_ready", "sent", 1)]
    assert all(r["sent_at"] and r["last_error"] is None for r in rows)


def test_failure_and_refund_emails_follow_their_transitions(db, smtp, queue):
    order = checkout_paid_order(db, "standard")
    lifecycle.transition(db, order["id"], "processing")
    lifecycle.transition(db, order["id"], "failed", reason="QA failed three times")
    lifecycle.transition(db, order["id"], "refunded", reason="refunded at Stripe")
    assert deliver_all(db, queue) == ["sent", "sent", "sent"]
    kinds = [m["X-Compass-Email"] for m in smtp.messages()]
    assert kinds == ["payment_confirmation", "processing_failed", "refund_processed"]
    failed, refunded = smtp.of_kind("processing_failed")[0], smtp.of_kind("refund_processed")[0]
    assert failed["Subject"] == SUBJECTS["processing_failed"]
    assert refunded["Subject"] == SUBJECTS["refund_processed"]
    assert list(failed.iter_attachments()) == []  # the spec: no attachments
    assert "refunded in full, automatically" in text_of(failed)
    assert "$149" in text_of(refunded) and "5–10 business days" in text_of(refunded)
    assert "Refund issued" in text_of(refunded)


def test_each_order_email_is_written_once_even_when_events_repeat(db, smtp, queue):
    order = checkout_paid_order(db, "starter")
    # A second fulfilment (webhook redelivery + success page) changes nothing.
    with store.transaction(db):
        assert notifications.queue_order_email(db, order, "payment_confirmation") is None
    assert len(queue.ids) == 1
    email_id = queue.ids[0]
    assert deliver_all(db, queue) == ["sent"]
    # A duplicated or late job finds the email sent and does nothing.
    assert notifications.deliver(db, email_id) == "skipped:sent"
    assert len(smtp.messages()) == 1


def test_emails_are_queued_only_after_the_transition_commits(db, smtp, queue):
    order = checkout_paid_order(db, "standard")
    queue.drain()
    with pytest.raises(RuntimeError), store.transaction(db):
        lifecycle.transition(db, order["id"], "processing")
        lifecycle.transition(db, order["id"], "failed")
        assert queue.ids == []  # not while the transaction is open
        raise RuntimeError("crash before commit")
    assert queue.ids == [] and db["emails"].count_where("order_id = ?", [order["id"]]) == 1
    lifecycle.transition(db, order["id"], "processing")
    lifecycle.transition(db, order["id"], "failed")
    assert len(queue.ids) == 1


class Clock:
    """An injected clock: every stored time (compass.clock.now) reads it."""

    def __init__(self, monkeypatch):
        self.moment = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def advance(self, seconds: float) -> None:
        self.moment += dt.timedelta(seconds=seconds)


def failures(kind: str) -> float:
    from compass import metrics

    return metrics.EMAIL_FAILURES.labels(kind)._value.get()


def test_retries_are_spread_over_24_hours_and_deliver_exactly_once(db, smtp, queue,
                                                                   monkeypatch):
    now = Clock(monkeypatch)
    checkout_paid_order(db, "standard")
    [email_id] = queue.drain()
    smtp.fail_next = 2  # the server answers 451 twice
    before = failures("payment_confirmation")
    with pytest.raises(notifications.RetryLater) as first:
        notifications.deliver(db, email_id)
    assert clock.parse(first.value.due) == now.moment + dt.timedelta(hours=1)
    # Not due yet: the sweep queues nothing, and an early or duplicated job sends nothing.
    now.advance(59 * 60)
    assert notifications.sweep(db) == []
    assert notifications.deliver(db, email_id) == "skipped:pending"
    now.advance(60)
    assert notifications.sweep(db) == [email_id]
    # A job already waiting in the queue is not queued twice.
    assert notifications.sweep(db, already_queued=[email_id]) == []
    with pytest.raises(notifications.RetryLater) as second:
        notifications.deliver(db, email_id)
    assert clock.parse(second.value.due) == now.moment + dt.timedelta(hours=23)
    now.advance(23 * 3600 - 1)
    assert notifications.sweep(db) == []
    now.advance(1)  # 24 hours after the first attempt
    assert notifications.sweep(db) == [email_id]
    assert notifications.deliver(db, email_id) == "sent"
    assert notifications.deliver(db, email_id) == "skipped:sent"
    assert smtp.refused == 2 and len(smtp.messages()) == 1
    row = store.emails.get(db, email_id)
    assert row["status"] == "sent" and row["attempts"] == 3 and row["next_attempt_at"] is None
    assert failures("payment_confirmation") == before + 2


def test_three_failures_give_up_and_record_the_error(db, smtp, queue, monkeypatch):
    now = Clock(monkeypatch)
    checkout_paid_order(db, "standard")
    [email_id] = queue.drain()
    smtp.fail_next = 10
    for attempt in (1, 2):
        with pytest.raises(notifications.RetryLater):
            notifications.deliver(db, email_id)
        assert store.emails.get(db, email_id)["attempts"] == attempt
        now.advance(24 * 3600)
    assert notifications.deliver(db, email_id) == "failed"
    row = store.emails.get(db, email_id)
    assert row["status"] == "failed" and row["attempts"] == 3
    assert "451" in row["last_error"]
    assert notifications.deliver(db, email_id) == "skipped:failed"
    assert notifications.sweep(db) == []
    assert smtp.messages() == []
    attention = list(db.query("SELECT * FROM emails_needing_attention"))
    assert [r["id"] for r in attention] == [email_id]


def test_mail_waiting_for_an_unreachable_server_goes_when_it_answers_again(db, queue,
                                                                           monkeypatch):
    from compass import health, insights
    from tests.fakes.smtp import SwitchableSmtp

    server = SwitchableSmtp()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(server.port))
    monkeypatch.setenv("SMTP_SECURITY", "none")
    get_settings.cache_clear()
    order = checkout_paid_order(db, "standard")  # SMTP is down
    [email_id] = queue.drain()
    assert health.check_mail(db).detail == "nothing late"
    with pytest.raises(notifications.RetryLater):
        notifications.deliver(db, email_id)
    row = store.emails.get(db, email_id)
    assert row["last_error"].startswith(notifications.UNREACHABLE + "cannot connect")
    # Late mail is shown on /readyz (as a warning: the site stays up) and on /admin.
    check = health.check_mail(db)
    assert check.ok and check.warn and check.detail.startswith("1 email(s) late")
    [line] = [x for x in insights.attention_lines(db) if x.startswith("email ")]
    assert f"payment_confirmation for {order['order_number']} late after 1 attempt(s)" in line
    assert "next attempt" in line
    # Still down: asking changes nothing.
    assert notifications.resume_when_reachable(db, force=True) == []
    assert notifications.sweep(db) == []
    server.up()
    try:
        assert notifications.resume_when_reachable(db, force=True) == [email_id]
        assert notifications.sweep(db) == [email_id]
        assert notifications.deliver(db, email_id) == "sent"
        assert len(server.mailbox.messages()) == 1
    finally:
        server.down()
    assert health.check_mail(db).detail == "nothing late"


def test_a_worker_that_died_mid_send_is_resumed_after_its_lease(db, smtp, queue):
    checkout_paid_order(db, "standard")
    [email_id] = queue.drain()
    with store.transaction(db):  # claimed by a worker that then died
        store.emails.claim(db, email_id, now=clock.now_iso(), stale_before="", max_attempts=3)
    assert notifications.resume_stalled(db) == []  # its lease is still running
    assert notifications.deliver(db, email_id) == "skipped:sending"
    db.execute("UPDATE emails SET claimed_at = '2000-01-01T00:00:00Z' WHERE id = ?", [email_id])
    assert notifications.resume_stalled(db) == [email_id]
    assert notifications.deliver(db, email_id) == "sent"
    row = store.emails.get(db, email_id)
    assert row["attempts"] == 2 and smtp.messages()[0]["Message-ID"] == row["message_id"]


def test_starttls_is_required_when_configured(db, smtp, queue, monkeypatch):
    monkeypatch.setenv("SMTP_SECURITY", "starttls")  # aiosmtpd here offers no STARTTLS
    get_settings.cache_clear()
    checkout_paid_order(db, "standard")
    [email_id] = queue.drain()
    with pytest.raises(notifications.RetryLater):
        notifications.deliver(db, email_id)
    assert smtp.messages() == []  # never fell back to plain text
    assert "STARTTLS" in store.emails.get(db, email_id)["last_error"]


def test_unreachable_server_is_a_retryable_failure(db, queue, monkeypatch):
    from tests.fakes.processes import free_port

    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("SMTP_SECURITY", "none")
    get_settings.cache_clear()
    checkout_paid_order(db, "standard")
    [email_id] = queue.drain()
    with pytest.raises(notifications.RetryLater):
        notifications.deliver(db, email_id)
    row = store.emails.get(db, email_id)
    assert row["status"] == "pending" and "cannot connect" in row["last_error"]


def test_hostile_company_names_are_inert_in_every_email(db, smtp, queue):
    hostile = '<script>alert(1)</script><img src=file:///etc/passwd>'
    order = checkout_paid_order(db, "starter", company_name=hostile)
    complete_with(db, order, engine_result(db, "starter", company_name=hostile))
    assert deliver_all(db, queue) == ["sent", "sent"]
    for message in smtp.messages():
        page = html_of(message)
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert hostile in text_of(message)  # plain text is shown as text, never parsed
        assert hostile not in message["Subject"]


def test_magic_link_and_daily_summary(db, smtp, queue):
    link = "https://compass.example/login/tok_abc123"
    with store.transaction(db):
        first = notifications.queue_magic_link(db, to="owner@shop.example", link=link,
                                               minutes_valid=15, token_key="t1")
        again = notifications.queue_magic_link(db, to="owner@shop.example", link=link,
                                               minutes_valid=15, token_key="t1")
        notifications.queue_daily_summary(db, to="admin@compass.example", day="2026-03-01",
                                          figures={"Orders paid": 12, "Revenue": "$1,788"},
                                          attention=["ORD-2026-000007 failed"])
    assert first is not None and again is None
    assert deliver_all(db, queue) == ["sent", "sent"]
    login, summary = smtp.messages()
    assert login["Subject"] == "Your sign-in link for AI Readiness Compass"
    assert link in text_of(login) and f'href="{link}"' in html_of(login)
    assert "15 minutes" in text_of(login)
    assert summary["Subject"] == "AI Readiness Compass daily summary for 2026-03-01"
    assert "Orders paid: 12" in text_of(summary) and "ORD-2026-000007 failed" in html_of(summary)
    # The link is a credential: it is not kept in the database once sent.
    assert json.loads(store.emails.get(db, first)["context_json"]) == {}


def test_still_processing_and_unknown_kinds(db, smtp, queue):
    order = checkout_paid_order(db, "premium")
    lifecycle.transition(db, order["id"], "processing")
    with store.transaction(db):
        notifications.queue_still_processing(db, store.orders.get(db, order["id"]))
    deliver_all(db, queue)
    [still] = smtp.of_kind("still_processing")
    assert "still being prepared" in still["Subject"] and "6 hours" in text_of(still)
    with pytest.raises(ValueError, match="unknown email kind"):
        mail.subject_for("newsletter", {})


def test_without_smtp_host_mail_goes_to_the_outbox(db, queue, tmp_path):
    checkout_paid_order(db, "standard")
    assert deliver_all(db, queue) == ["sent"]
    [eml] = list((tmp_path / "data" / "outbox").glob("*.eml"))
    assert re.fullmatch(r"\d{8}T\d{12}Z-payment_confirmation-ORD-\d{4}-\d{6}\.eml", eml.name)
    assert b"Subject: Payment received" in eml.read_bytes()


def test_an_email_that_would_wait_for_the_renderer_steps_aside(db, smtp, queue, monkeypatch):
    """One PDF renders at a time: email jobs that need the renderer while it is busy go back
    on the queue (without using a retry) instead of holding a worker thread a paid order
    needs."""
    from huey.storage import MemoryStorage

    import jobs
    from jobs import emails

    monkeypatch.setattr(jobs.huey, "storage", MemoryStorage("render-slot"))
    checkout_paid_order(db, "standard")
    [receipt_email] = queue.drain()
    with store.transaction(db):
        sign_in = notifications.queue_magic_link(db, to="lee@example.com", link="https://x/l",
                                                 minutes_valid=15, token_key="k")
    queue.drain()
    assert jobs.RENDER_SLOT.acquire(blocking=False)  # a render is under way
    try:
        emails.send_email(receipt_email)
        emails.send_email(sign_in)
        first, second = jobs.huey.dequeue(), jobs.huey.dequeue()
        jobs.huey.execute(first)
        jobs.huey.execute(second)
        assert [m["X-Compass-Email"] for m in smtp.messages()] == ["magic_link"]
        [later] = jobs.huey.read_schedule(dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                          + dt.timedelta(seconds=5))
        assert store.emails.get(db, receipt_email)["attempts"] == 0  # stepping aside is no attempt
    finally:
        jobs.RENDER_SLOT.release()
    jobs.huey.execute(later, timestamp=later.eta)
    assert [m["X-Compass-Email"] for m in smtp.messages()] == ["magic_link",
                                                              "payment_confirmation"]


def test_the_report_render_job_waits_its_turn_behind_an_email_rendering(db, queue,
                                                                       monkeypatch):
    """A download that finds no PDF asks for render_report; while the report email renders
    it, the job steps back onto the queue and then finds the file made: one version."""
    from huey.storage import MemoryStorage

    import jobs
    from compass import documents
    from jobs import tasks

    monkeypatch.setattr(jobs.huey, "storage", MemoryStorage("render-turn"))
    order = complete_with(db, checkout_paid_order(db, "starter"),
                          engine_result(db, "starter"), with_pdf=False)
    assert jobs.RENDER_SLOT.acquire(blocking=False)  # the email job is rendering
    try:
        tasks.render_report(order["id"])
        jobs.huey.execute(jobs.huey.dequeue())
        assert not store.orders.get(db, order["id"])["report_pdf_path"]
        [later] = jobs.huey.read_schedule(dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                          + dt.timedelta(seconds=5))
        documents.ensure_report_pdf(db, store.orders.get(db, order["id"]), get_settings())
    finally:
        jobs.RENDER_SLOT.release()
    jobs.huey.execute(later, timestamp=later.eta)
    assert db["report_versions"].count_where("order_id = ?", [order["id"]]) == 1
