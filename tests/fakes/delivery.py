"""Orders for the delivery tests: paid through the real fulfilment path, completed by the
real worker code (with the offline engine's real result), and the email queue captured."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

from compass import documents, lifecycle, notifications, payments, processing, queue, store
from compass.engine import run_engine
from compass.engine.offline import OfflineProvider
from compass.intake import OrderInput
from compass.settings import get_settings
from compass.tiers import get_tier

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = json.loads((ROOT / "examples" / "dental-clinic.json").read_text())


def answers(**overrides: str) -> dict:
    return ANSWERS | overrides


def engine_result(db, tier: str = "premium", **overrides: str) -> dict:
    """What the offline engine really produces for these answers (about 0.1 s)."""
    order_input = OrderInput.model_validate(answers(**overrides))
    return asyncio.run(run_engine(order_input, get_tier(tier), provider=OfflineProvider(),
                                  db=db, run_id=f"test-{uuid.uuid4().hex}"))


def paid_order(db, tier: str = "standard", **overrides: str) -> dict:
    """An order paid through `payments.fulfil`, as the webhook would (fires the paid hook)."""
    order = lifecycle.create_order(db, OrderInput.model_validate(answers(**overrides)),
                                   get_tier(tier))
    session = {"id": f"cs_test_{uuid.uuid4().hex}", "payment_status": "paid",
               "amount_total": order["amount_cents"], "currency": "usd",
               "payment_intent": f"pi_test_{uuid.uuid4().hex[:16]}",
               "client_reference_id": order["public_id"], "url": ""}
    with queue.replaced(process_order=lambda order_id, tier_name: None):
        assert payments.fulfil(db, session) == "fulfilled"
    return store.orders.get(db, order["id"])


def complete_with(db, order: dict, result: dict, *, with_pdf: bool = True) -> dict:
    """Run the real worker on the order with an engine that answers `result`.

    The order completes before its PDF exists; `with_pdf` then renders it as the
    report-ready email job does (documents.ensure_report_pdf).
    """

    async def engine(order_input, tier, **kwargs):
        return result

    outcome = asyncio.run(processing.run_order(db, order["id"], engine=engine, provider=object()))
    assert outcome == "completed", outcome
    if with_pdf:
        documents.ensure_report_pdf(db, store.orders.get(db, order["id"]), get_settings())
    return store.orders.get(db, order["id"])


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
