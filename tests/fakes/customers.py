"""Customers with paid orders, made straight in the database, and signing them in.

Orders go through compass.lifecycle (so every hook runs), with a payment row shaped like
the dev checkout's or, given a FakeStripe, like a Stripe Checkout Session the fake knows
was paid (so its Refund API will refund it).
"""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

from starlette.testclient import TestClient

from compass import store
from tests.fakes.web_app import csrf_from


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
