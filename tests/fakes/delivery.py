"""The email queue captured, and an order placed and paid through the running web app."""

from __future__ import annotations

import re

from compass import notifications
from tests.factories import ANSWERS


class CapturedQueue:
    """Stands in for the email queue: remembers the ids `dispatch` was given."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, email_id: int) -> None:
        self.ids.append(email_id)

    def drain(self) -> list[int]:
        ids, self.ids = self.ids, []
        return ids


def deliver_all(db, queue: CapturedQueue) -> list[str]:
    return [notifications.deliver(db, email_id) for email_id in queue.drain()]


def place_paid_order(client, tier: str = "starter") -> str:
    """Order and pay through the running web app (form, dev checkout, signed webhook) with
    an httpx client; returns the order's public id."""
    form = client.get(f"/order/new?tier={tier}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    placed = client.post("/orders", data=ANSWERS | {"csrf_token": token, "tier": tier})
    assert placed.status_code == 303, placed.text
    checkout = placed.headers["location"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(checkout).text).group(1)
    paid = client.post(checkout, data={"csrf_token": token, "card_number": "4242 4242 4242 4242"})
    return client.get(paid.headers["location"]).headers["location"].rsplit("/", 1)[1]
