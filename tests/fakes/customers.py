"""Customers with paid orders, made straight in the database, and signing them in.

Orders go through compass.lifecycle (so every hook runs), with a payment row shaped like
the dev checkout's or, given a FakeStripe, like a Stripe Checkout Session the fake knows
was paid (so its Refund API will refund it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import time
from email import message_from_bytes, policy
from pathlib import Path

from starlette.testclient import TestClient

from compass import lifecycle, store
from compass.intake import OrderInput
from compass.tiers import get_tier
from tests.fakes.web_app import VALID_ORDER, csrf_from

SMALL_RESULT = {
    "version": 1, "tier": "standard", "model": "offline", "offline": True,
    "company": {"name": "Test Co", "industry": "Dental clinic", "size": "11–50 people"},
    "workflows": [{"name": f"Workflow {i}", "domain": "operations", "rank": i,
                   "description": "Does a thing.", "tools": ["Zapier"]} for i in (1, 2, 3)],
    "proposal": {"executive_summary": "Summary."}, "qa": {"score": 8}, "consensus": {},
}


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def paid_order(db, *, email: str = "dana@brightsmile.example", tier: str = "standard",
               status: str = "completed", paid_days_ago: float = 0.0,
               result: dict | None = None, fake_stripe=None, **answers: str) -> dict:
    """An order of `email` taken to `status` (paid, processing, completed or failed)."""
    order_input = OrderInput.model_validate(VALID_ORDER | {"email": email} | answers)
    order = lifecycle.create_order(db, order_input, get_tier(tier))
    provider = "stripe" if fake_stripe is not None else "dev"
    session_id = f"cs_test_{secrets.token_hex(12)}"
    intent = f"pi_{secrets.token_hex(12)}" if fake_stripe else f"pi_dev_{secrets.token_hex(9)}"
    paid_at = _iso(dt.datetime.now(dt.UTC) - dt.timedelta(days=paid_days_ago))
    with store.transaction(db):
        payment_id = store.payments.insert(
            db, order_id=order["id"], provider=provider, checkout_session_id=session_id,
            checkout_url="https://checkout.example/" + session_id,
            amount_cents=order["amount_cents"], currency="usd", expires_at=None)
        store.payments.update(db, payment_id, status="succeeded", payment_intent_id=intent)
        lifecycle.transition(db, order["id"], "paid", fields={"paid_at": paid_at})
        if status in ("processing", "completed", "failed"):
            lifecycle.transition(db, order["id"], "processing")
        if status == "completed":
            lifecycle.transition(db, order["id"], "completed", fields={
                "result_json": json.dumps(result or SMALL_RESULT), "progress_percent": 100})
        elif status == "failed":
            lifecycle.transition(db, order["id"], "failed", fields={
                "failure_reason": "the report scored 5/10 in quality review"})
    if fake_stripe is not None:
        fake_stripe.sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "status": "complete",
            "payment_status": "paid", "payment_intent": intent,
            "amount_total": order["amount_cents"], "currency": "usd",
            "client_reference_id": order["public_id"], "metadata": {}}
    found = store.orders.get(db, order["id"])
    assert found is not None
    return found


def outbox_links(data_dir: Path, path_prefix: str = "/login/") -> list[str]:
    """Every link with this path in the outbox's messages, oldest first."""
    links = []
    outbox = data_dir / "outbox"
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        found: list[str] = []
        for part in message_from_bytes(path.read_bytes(), policy=policy.default).walk():
            if part.get_content_type() == "text/plain":
                found += re.findall(r"https?://[^\s\"<>]+" + re.escape(path_prefix)
                                    + r"[^\s\"<>]+", part.get_content())
        links += list(dict.fromkeys(found))
    return links


def request_link(client: TestClient, email: str) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": email, "csrf_token": token})
    assert response.status_code == 200, response.text


def sign_in(client: TestClient, data_dir: Path, email: str) -> None:
    """Ask for a link, follow the newest one: the client is then signed in as `email`."""
    before = set(outbox_links(data_dir))
    request_link(client, email)
    deadline = time.monotonic() + 5
    while True:
        new = [link for link in outbox_links(data_dir) if link not in before]
        if new:
            break
        assert time.monotonic() < deadline, "no sign-in link was sent"
        time.sleep(0.02)
    response = press_link_button(client, new[-1])
    assert response.status_code == 303, response.text


def press_link_button(client: TestClient, link: str):
    """Open an emailed link (sign-in, new address) and press its button, as a person does."""
    path = "/" + link.split("/", 3)[3]
    page = client.get(path, follow_redirects=False)
    if page.status_code != 200:
        return page
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, "the sign-in page has no button"
    return client.post(action.group(1).replace("&amp;", "&"),
                       data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)


# Sent at once, as the worker would, so tests can follow the links in the outbox.
ACCOUNT_KINDS = frozenset({"magic_link", "login_invitation", "email_change"})


class Dispatched:
    """Stands in for the worker's queue: remembers refunds, revisions and emails queued,
    and delivers account emails (sign-in links and the like) to the outbox at once."""

    def __init__(self) -> None:
        self.refunds: list[int] = []
        self.revisions: list[int] = []
        self.emails: list[int] = []

    def _email(self, email_id: int) -> None:
        from compass import notifications
        from compass.settings import get_settings

        self.emails.append(email_id)
        db = store.open_database(get_settings().db_path)
        try:
            row = store.emails.get(db, email_id)
            if row is not None and row["kind"] in ACCOUNT_KINDS:
                assert notifications.deliver(db, email_id) == "sent"
        finally:
            db.conn.close()

    def __enter__(self) -> Dispatched:
        from compass import queue

        self._replaced = queue.replaced(send_email=self._email,
                                        process_refund=self.refunds.append,
                                        revise_report=self.revisions.append)
        self._replaced.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._replaced.__exit__(None, None, None)
