"""Test harness for the web app: a TestClient with a recording queue, and form helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.testclient import TestClient

from compass.settings import Settings

VALID_ORDER = {
    "company_name": "Bright Smile Dental",
    "contact_name": "Dana Ortiz",
    "email": "Dana.Ortiz@BrightSmile.example",
    "company_website": "brightsmile.example",
    "industry": "Dental clinic",
    "company_size": "11-50",
    "prompt": "Three-chair dental clinic; the phone rings all day with bookings and reminders.",
    "pain_point": "No-shows cost us two appointments a day.",
    "tier": "standard",
}


@dataclass
class Queue:
    """Stands in for huey in web tests: remembers what would have been enqueued."""

    jobs: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, order_id: int, tier: str) -> None:
        self.jobs.append((order_id, tier))


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@contextmanager
def web_client(settings: Settings | None = None, **env: str) -> Iterator[tuple[TestClient, Queue]]:
    from app import create_app
    from compass import queue as work

    queue = Queue()
    app = create_app(settings or Settings(**env))
    with work.replaced(process_order=queue), \
            TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client, queue


def place_order(client: TestClient, **overrides: str):
    token = csrf_from(client.get("/order/new").text)
    return client.post("/orders", data=VALID_ORDER | {"csrf_token": token} | overrides,
                       follow_redirects=False)


def db_of(client: TestClient):
    return client.app.state.compass.db  # type: ignore[attr-defined]


def send_event(client: TestClient, event: dict, secret: str) -> str:
    """Post a Stripe event signed with `secret` to the webhook; the outcome it recorded."""
    import json

    from compass import payments

    payload = json.dumps(event)
    response = client.post("/api/webhooks/stripe", content=payload, headers={
        "Stripe-Signature": payments.sign_payload(payload, secret),
        "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()["outcome"]
