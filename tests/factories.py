"""Test data, made one way: orders at every stage, engine runs, worker heartbeats.

Orders go through compass.lifecycle (so every hook runs) unless a test needs rows exactly
as an older process wrote them (`add_order`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import time
import uuid
from pathlib import Path

from huey import SqliteHuey

from compass import clock, documents, health, lifecycle, payments, processing, queue, store
from compass.engine import run_engine
from compass.engine.anthropic_provider import AnthropicProvider
from compass.engine.offline import OfflineProvider
from compass.intake import OrderInput
from compass.settings import get_settings
from compass.tiers import get_tier
from tests.fakes.web_app import VALID_ORDER

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# -- orders ----------------------------------------------------------------------------------

LOGISTICS = {"company_name": "Acme", "contact_name": "Ann", "email": "Ann@Acme.example",
           "industry": "Logistics", "company_size": "2-10",
           "prompt": "We move pallets around town and answer a lot of tracking calls."}


def new_order(db, tier: str = "standard") -> dict:
    """A pending order (payment not yet made), created as the order form creates it."""
    return lifecycle.create_order(db, OrderInput.model_validate(LOGISTICS), get_tier(tier))


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


ANSWERS = json.loads((EXAMPLES / "dental-clinic.json").read_text())


def answers(**overrides: str) -> dict:
    return ANSWERS | overrides


def engine_result(db, tier: str = "premium", **overrides: str) -> dict:
    """What the offline engine really produces for these answers (about 0.1 s)."""
    order_input = OrderInput.model_validate(answers(**overrides))
    return asyncio.run(run_engine(order_input, get_tier(tier), provider=OfflineProvider(),
                                  db=db, run_id=f"test-{uuid.uuid4().hex}"))


def checkout_paid_order(db, tier: str = "standard", **overrides: str) -> dict:
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


def add_order(db, n: int) -> None:
    """A paid order with its history and a model call, as the spine and engine write them."""
    with store.transaction(db):
        customer = store.customers.upsert(
            db, email=f"owner{n}@example.com", name="Owner", company_name=f"Firm {n}",
            company_website="https://example.com", industry="dental", company_size="11-50")
        order_id = store.orders.insert(
            db, public_id=secrets.token_urlsafe(16), order_number=f"ORD-2026-{n:06d}",
            customer_id=customer, tier="standard", amount_cents=14900, currency="usd",
            input_json=json.dumps({"company_name": f"Firm {n}", "note": "ünïcode ✓"}))
        store.orders.add_event(db, order_id, None, "payment_pending", "created")
        store.orders.set_status(db, order_id, from_status="payment_pending", to_status="paid",
                                fields={"paid_at": clock.now_iso()})
        store.orders.add_event(db, order_id, "payment_pending", "paid", "checkout completed")
        store.ai_calls.record(db, store.ai_calls.AICall(
            run_id=f"order-{n}", phase="research", attempt=1, retry=0, perspective=None,
            provider="offline", model="claude-sonnet-5-5", request_hash=f"h{n}", status="ok",
            input_tokens=1200 + n, output_tokens=800, cost_microusd=9000 + n, latency_ms=1500,
            response_text='{"ok": true}' * 50, order_id=order_id))


def queue_with_tasks(path, count: int) -> None:
    queue = SqliteHuey("compass", filename=str(path))

    @queue.task()
    def process_order(order_id: int) -> None:  # pragma: no cover - never consumed here
        pass

    for order_id in range(count):
        process_order(order_id)


# -- engine runs -----------------------------------------------------------------------------



def example(name: str) -> OrderInput:
    return OrderInput.model_validate(json.loads((EXAMPLES / f"{name}.json").read_text()))


def run(order_input, tier="premium", *, provider=None, db, run_id="run-1", **kwargs) -> dict:
    async def go():
        active = provider or OfflineProvider()
        try:
            return await run_engine(order_input, get_tier(tier), provider=active, db=db,
                                    run_id=run_id, **kwargs)
        finally:
            await active.aclose()
    return asyncio.run(go())


def anthropic(server) -> AnthropicProvider:
    return AnthropicProvider(api_key="test-key", base_url=server.base_url, backoff_base=0.01)


class FakeEngine:
    """Reports progress through the phases like the real engine, then answers or fails."""

    def __init__(self, *, fail: Exception | None = None, step: float = 0.0, check=None):
        self.fail, self.step, self.check = fail, step, check
        self.calls: list[dict] = []

    async def __call__(self, order_input, tier, *, provider, db, run_id, order_id, progress,
                       model=None):
        self.calls.append({"run_id": run_id, "order_id": order_id, "tier": tier.name,
                           "company": order_input.company_name})
        for percent, phase in [(2, "rewrite"), (8, "research"), (18, "sample"), (40, "sample"),
                               (70, "vote"), (75, "proposal"), (88, "review")]:
            outcome = progress(percent, phase, f"{phase} label")
            if asyncio.iscoroutine(outcome):
                await outcome
            if self.check:
                self.check(percent, phase)
            await asyncio.sleep(self.step)
        if self.fail:
            raise self.fail
        progress(100, "done", "Your report is ready")
        return {"workflows": [{"name": "Reminder bot", "domain": "operations",
                               "description": "Texts patients."}],
                "qa": {"score": 8, "passed": True}, "offline": True}


def run_order_with(db, order_id, engine, **kwargs):
    """The real worker code on one order, with `engine` standing in for the pipeline."""
    return asyncio.run(processing.run_order(db, order_id, engine=engine, provider=object(),
                                            **kwargs))


# -- the worker and its queue --------------------------------------------------------------

def fresh_heartbeat(age: float = 0.0, state: str = "running") -> None:
    path = health.heartbeat_path(get_settings())
    health.write_heartbeat(path, state=state)
    if age:
        payload = json.loads(path.read_text()) | {"at": time.time() - age}
        path.write_text(json.dumps(payload))
