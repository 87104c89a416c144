"""Mail scanners and link previews fetch every link in a message. None of those fetches may
change anything: no sign-in, no link used up, no address changed, no download counted."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from starlette.testclient import TestClient

from compass import notifications, store
from compass import queue as work
from tests import factories
from tests.factories import paid_order
from tests.fakes import delivery
from tests.fakes.customers import Dispatched, press_link_button, request_link, sign_in
from tests.fakes.web_app import csrf_from, db_of, web_client

DANA = "dana@brightsmile.example"


def _every_email(client: TestClient, data_dir) -> None:
    """Send one message of every kind the product sends, to the development outbox."""
    db = db_of(client)
    queued = delivery.CapturedQueue()
    with work.replaced(send_email=queued):
        done = factories.checkout_paid_order(db, "premium", email=DANA)  # payment confirmation
        factories.complete_with(db, done, factories.engine_result(db, "standard"))  # report ready
        failed = paid_order(db, email=DANA, status="failed")  # processing failed
        slow = paid_order(db, email=DANA, status="processing")
        with store.transaction(db):
            notifications.queue_still_processing(db, slow)
            notifications.queue_order_email(db, done, "refund_processed",
                                            {"reason": "Requested by you"})
            notifications.queue_order_email(db, failed, "refund_denied",
                                            {"reason": "The report was used."})
            notifications.queue_order_email(db, done, "revision_ready", {
                "notes": "Shorter, please.", "quality_score": 8,
                "revision_url": f"http://127.0.0.1:8000/orders/{done['public_id']}/revision"})
            notifications.queue_daily_summary(db, to="ops@compass.example", day="2026-12-01",
                                              figures={"Orders": 3})
        delivery.deliver_all(db, queued)
    with Dispatched():  # account emails: sign-in link, invitation, new-address confirmation
        request_link(client, "nobody@elsewhere.example")
        sign_in(client, data_dir, DANA)
        token = csrf_from(client.get("/account").text)
        client.post("/account", data={"csrf_token": token, "action": "email",
                                      "new_email": "dana@newclinic.example"})
        request_link(client, DANA)


def _outbox(data_dir) -> dict[str, list[str]]:
    """Each message kind in the outbox → every link in its HTML and text parts."""
    found: dict[str, list[str]] = {}
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        links: list[str] = []
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                links += re.findall(r"https?://[^\s\"'<>]+", part.get_content())
        found.setdefault(message["X-Compass-Email"], []).extend(
            link.replace("&amp;", "&") for link in links)
    return found


def _state(db) -> dict:
    def rows(sql: str) -> list[tuple]:
        return [tuple(row.values()) for row in db.query(sql)]

    return {
        "links": rows("SELECT id, used_at FROM login_tokens ORDER BY id"),
        "sessions": rows("SELECT id, revoked_at FROM sessions ORDER BY id"),
        "customers": rows("SELECT id, email FROM customers ORDER BY id"),
        "orders": rows("SELECT id, status, downloads_count, last_downloaded_at"
                       " FROM orders ORDER BY id"),
        "refunds": rows("SELECT id, status FROM refunds ORDER BY id"),
    }


def test_fetching_every_link_in_every_email_changes_nothing(data_dir):
    with web_client() as (client, _):
        _every_email(client, data_dir)
        sent = _outbox(data_dir)
        exercised = {"payment_confirmation", "report_ready", "processing_failed",
                     "still_processing", "refund_processed", "refund_denied", "revision_ready",
                     "daily_summary", "magic_link", "login_invitation", "email_change"}
        assert set(sent) >= exercised, exercised - set(sent)
        links = sorted({link for found in sent.values() for link in found
                        if link.startswith("http://127.0.0.1:8000/")})
        assert any("/login/" in link for link in links)
        assert any("/account/email/" in link for link in links)
        db = db_of(client)
        before = _state(db)
        assert before["links"] and all(used is None for _, used in before["links"][-2:])

        # A scanner: no cookies, no browser headers; it follows redirects and fetches
        # each link more than once, with GET and with HEAD.
        # (Not entered: the app is already started, and shares its database.)
        scanner = TestClient(client.app, base_url="http://127.0.0.1:8000")
        for link in links:
            for _ in range(2):
                for method in ("GET", "HEAD"):
                    scanner.cookies.clear()
                    answer = scanner.request(method, link, follow_redirects=True)
                    assert answer.status_code < 500, (link, answer.status_code)
                    assert "compass_session" not in answer.headers.get("set-cookie", ""), link
        assert _state(db) == before

        # The same links still work for the person they were sent to.
        client.cookies.clear()
        newest_sign_in = [link for link in sent["magic_link"] if "/login/" in link][-1]
        assert press_link_button(client, newest_sign_in).status_code == 303
        assert client.get("/dashboard", follow_redirects=False).status_code == 200
