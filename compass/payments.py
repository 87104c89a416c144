"""Taking the money: Checkout Sessions, webhook events and fulfilment.

Two gateways create and read Checkout Sessions: `StripeCheckout` (the official SDK; pointed
at a local fake by STRIPE_API_BASE in tests) and `DevCheckout`, which stands in for Stripe
in development when no STRIPE_SECRET_KEY is set. The dev checkout keeps sessions shaped
like Stripe's and signs its events the way Stripe does, so the webhook endpoint, its
signature check and `fulfil` run exactly as they do with real money.

`fulfil(session)` is the one idempotent way an order becomes paid; the webhook and the
success page both call it. Nothing here knows about HTTP requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

import sqlite_utils
import stripe

from compass import clock, lifecycle, queue, refunds, store
from compass.settings import Settings
from compass.tiers import get_tier

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
# Abandoned checkouts expire after this; Stripe accepts 30 minutes to 24 hours.
CHECKOUT_LIFETIME_SECONDS = 60 * 60
TEST_CARD_OK = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"
STRIPE_API_VERSION = "2026-10-28.clover"  # what the dev checkout stamps on its events

# (order_id, tier name) -> None: puts the order's processing job on the queue.


class CheckoutError(Exception):
    """The payment provider could not create or read a Checkout Session."""


class CardDeclined(Exception):
    """The dev checkout's decline test card (or any card it does not know) was used."""


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


class CheckoutGateway(Protocol):
    provider: str

    async def create_session(self, order: dict, customer_email: str,
                             attempt: int) -> tuple[CreatedSession, int]: ...

    async def retrieve_session(self, session_id: str) -> dict: ...


def session_params(settings: Settings, order: dict, customer_email: str,
                   expires_at: int) -> dict[str, Any]:
    """The Checkout Session we ask for: one line item priced from the tier, in cents."""
    tier = get_tier(order["tier"])
    base = settings.BASE_URL.rstrip("/")
    return {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": order["currency"],
                "unit_amount": order["amount_cents"],
                "product_data": {
                    "name": f"AI Readiness Compass — {tier.label} report",
                    "description": f"{tier.workflow_count} AI automation workflows for your "
                                   f"business, delivered within {tier.delivery_hours} hours.",
                },
            },
        }],
        "customer_email": customer_email,
        "client_reference_id": order["public_id"],
        "metadata": {"order_public_id": order["public_id"],
                     "order_number": order["order_number"], "tier": tier.name},
        "payment_intent_data": {"metadata": {"order_public_id": order["public_id"],
                                             "order_number": order["order_number"]}},
        "success_url": f"{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/checkout/cancel?order={order['public_id']}",
        "expires_at": expires_at,
    }


class StripeCheckout:
    provider = "stripe"

    def __init__(self, settings: Settings):
        assert settings.STRIPE_SECRET_KEY is not None
        self.settings = settings
        addresses: dict[str, str] = {}
        if settings.STRIPE_API_BASE:
            addresses["api"] = settings.STRIPE_API_BASE.rstrip("/")
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY.get_secret_value(),
            base_addresses=addresses,  # type: ignore[arg-type]
            max_network_retries=2,
        )

    async def create_session(self, order: dict, customer_email: str,
                             attempt: int) -> tuple[CreatedSession, int]:
        expires_at = int(time.time()) + CHECKOUT_LIFETIME_SECONDS
        params = session_params(self.settings, order, customer_email, expires_at)
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                # A network retry of the same attempt must not create a second session.
                {"idempotency_key": f"checkout-{order['public_id']}-{attempt}"},
            )
        except stripe.StripeError as exc:
            raise CheckoutError(_describe_stripe_error(exc)) from exc
        if not session.url:
            raise CheckoutError("Stripe returned a Checkout Session without a URL")
        return CreatedSession(id=session.id, url=session.url), int(session.expires_at or expires_at)

    async def retrieve_session(self, session_id: str) -> dict:
        try:
            session = await self.client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.StripeError as exc:
            raise CheckoutError(_describe_stripe_error(exc)) from exc
        return session.to_dict()


def _describe_stripe_error(exc: stripe.StripeError) -> str:
    # The message and codes only: never the request, which carries the customer's email.
    return f"{type(exc).__name__} (status {exc.http_status}, code {exc.code}): {exc.user_message}"


class DevCheckout:
    """A local stand-in for Stripe Checkout (development only)."""

    provider = "dev"

    def __init__(self, settings: Settings, db: sqlite_utils.Database):
        self.settings = settings
        self.db = db

    async def create_session(self, order: dict, customer_email: str,
                             attempt: int) -> tuple[CreatedSession, int]:
        expires_at = int(time.time()) + CHECKOUT_LIFETIME_SECONDS
        params = session_params(self.settings, order, customer_email, expires_at)
        session_id = "cs_test_dev_" + secrets.token_urlsafe(24)
        url = f"{self.settings.BASE_URL.rstrip('/')}/dev/checkout/{session_id}"
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "status": "open", "payment_status": "unpaid", "livemode": False,
            "amount_total": order["amount_cents"], "amount_subtotal": order["amount_cents"],
            "currency": order["currency"], "customer_email": customer_email,
            "customer_details": {"email": customer_email},
            "client_reference_id": params["client_reference_id"],
            "metadata": params["metadata"], "payment_intent": None,
            "success_url": params["success_url"], "cancel_url": params["cancel_url"],
            "created": int(time.time()), "expires_at": expires_at, "url": url,
            "line_items_summary": params["line_items"][0]["price_data"]["product_data"],
        }
        with store.transaction(self.db):
            store.payments.put_dev_session(self.db, session_id, json.dumps(session))
        return CreatedSession(id=session_id, url=url), expires_at

    async def retrieve_session(self, session_id: str) -> dict:
        raw = store.payments.get_dev_session(self.db, session_id)
        if raw is None:
            raise CheckoutError(f"no such checkout session: {session_id}")
        return json.loads(raw)

    def pay(self, session_id: str, card_number: str) -> dict:
        """Charge the test card; return the `checkout.session.completed` event to deliver.

        Raises CardDeclined for the decline card or an unknown number, CheckoutError when
        the session is not open any more.
        """
        raw = store.payments.get_dev_session(self.db, session_id)
        if raw is None:
            raise CheckoutError("no such checkout session")
        session = json.loads(raw)
        if session["status"] != "open" or session["expires_at"] < time.time():
            raise CheckoutError("This checkout has already been completed or has expired.")
        digits = re.sub(r"[\s-]", "", card_number)
        if digits != TEST_CARD_OK:
            raise CardDeclined(
                "Your card was declined." if digits == TEST_CARD_DECLINED else
                "Your card was declined. In this development checkout, use the test card "
                "4242 4242 4242 4242.")
        session |= {"status": "complete", "payment_status": "paid",
                    "payment_intent": "pi_dev_" + secrets.token_urlsafe(18)}
        with store.transaction(self.db):
            store.payments.put_dev_session(self.db, session_id, json.dumps(session))
        return build_event("checkout.session.completed", session)


def build_event(event_type: str, obj: dict) -> dict:
    """An event shaped like the ones Stripe sends to webhook endpoints."""
    return {
        "id": "evt_dev_" + secrets.token_urlsafe(18), "object": "event",
        "api_version": STRIPE_API_VERSION, "created": int(time.time()),
        "data": {"object": obj}, "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "type": event_type,
    }


def checkout_gateway(settings: Settings, db: sqlite_utils.Database) -> CheckoutGateway:
    if settings.STRIPE_SECRET_KEY is not None:
        return StripeCheckout(settings)
    if settings.is_production:
        raise RuntimeError("production needs STRIPE_SECRET_KEY (the dev checkout is dev only)")
    return DevCheckout(settings, db)


def webhook_secret(settings: Settings) -> str:
    """The signing secret: STRIPE_WEBHOOK_SECRET, or in development one derived from SECRET_KEY."""
    if settings.STRIPE_WEBHOOK_SECRET is not None:
        return settings.STRIPE_WEBHOOK_SECRET.get_secret_value()
    if settings.is_production:
        raise RuntimeError("production needs STRIPE_WEBHOOK_SECRET")
    digest = hmac.new(settings.SECRET_KEY.get_secret_value().encode(), b"stripe-webhook-dev",
                      hashlib.sha256).hexdigest()
    return "whsec_dev_" + digest[:40]


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "t.payload")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class BadSignature(Exception):
    pass


def verify_event(payload: bytes, signature_header: str | None, secret: str) -> dict:
    """The event as a plain dict, or BadSignature (missing, forged or older than 5 minutes)."""
    if not signature_header:
        raise BadSignature("missing Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(payload, signature_header, secret,
                                       tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(str(exc)) from exc
    except (ValueError, KeyError, IndexError) as exc:
        raise BadSignature(f"malformed payload or header: {exc}") from exc
    event = json.loads(payload)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) \
            or not isinstance(event.get("type"), str):
        raise BadSignature("payload is not an event")
    return event


# -- orders and their checkout sessions --------------------------------------------------------

async def start_checkout(db: sqlite_utils.Database, gateway: CheckoutGateway,
                         order: dict) -> CreatedSession:
    """Create a Checkout Session for a payment_pending order and remember it.

    Raises CheckoutError (logged here, the order untouched and still payable) or
    lifecycle.IllegalTransition when the order is not awaiting payment.
    """
    if order["status"] != "payment_pending":
        raise lifecycle.IllegalTransition(f"order {order['order_number']} is {order['status']}")
    customer = store.customers.get(db, order["customer_id"])
    assert customer is not None
    attempt = len(store.payments.for_order(db, order["id"])) + 1
    try:
        created, expires_at = await gateway.create_session(order, customer["email"], attempt)
    except CheckoutError:
        log.exception("could not create a checkout session for order %s", order["order_number"])
        raise
    with store.transaction(db):
        store.payments.insert(
            db, order_id=order["id"], provider=gateway.provider,
            checkout_session_id=created.id, checkout_url=created.url,
            amount_cents=order["amount_cents"], currency=order["currency"],
            expires_at=_iso(expires_at),
        )
    return created


def _iso(unix: int | float) -> str:
    return clock.iso(dt.datetime.fromtimestamp(unix, dt.UTC))


def _order_for_session(db: sqlite_utils.Database, session: dict) -> tuple[dict | None, dict | None]:
    payment = store.payments.by_session(db, session.get("id") or "")
    if payment is not None:
        return store.orders.get(db, payment["order_id"]), payment
    public_id = session.get("client_reference_id") or (session.get("metadata") or {}).get(
        "order_public_id")
    order = store.orders.by_public_id(db, public_id) if public_id else None
    return order, None


def _fulfil_in_transaction(db: sqlite_utils.Database, session: dict) -> tuple[str, dict | None]:
    """(outcome, order that just became paid or None). Caller holds the write transaction."""
    order, payment = _order_for_session(db, session)
    if order is None:
        log.error("checkout session %s matches no order", session.get("id"))
        return "unknown_order", None
    if session.get("payment_status") != "paid":
        if payment is not None and payment["status"] == "open":
            store.payments.update(db, payment["id"], status="processing")
        return "awaiting_payment", None
    if payment is None:
        # The session was created but we crashed before storing it: adopt it now.
        payment_id = store.payments.insert(
            db, order_id=order["id"], provider="stripe", checkout_session_id=session["id"],
            checkout_url=session.get("url") or "", amount_cents=session.get("amount_total") or 0,
            currency=(session.get("currency") or "").lower(), expires_at=None)
        payment = {"id": payment_id, "status": "open"}
    amount, currency = session.get("amount_total"), (session.get("currency") or "").lower()
    if amount != order["amount_cents"] or currency != order["currency"]:
        log.error("order %s: paid %s %s but costs %s %s; not fulfilling", order["order_number"],
                  amount, currency, order["amount_cents"], order["currency"])
        store.payments.update(db, payment["id"], status="mismatch",
                              payment_intent_id=_intent_id(session))
        return "amount_mismatch", None
    if payment["status"] not in ("succeeded", "refunded"):
        store.payments.update(db, payment["id"], status="succeeded",
                              payment_intent_id=_intent_id(session))
    if order["status"] != "payment_pending":
        # Already fulfilled (the webhook and the success page both got here), or later still.
        if order["status"] == "expired":
            log.error("order %s was paid after it expired; needs a person", order["order_number"])
            return "paid_after_expiry", None
        return "already_fulfilled", None
    paid = lifecycle.transition(db, order["id"], "paid",
                                reason=f"checkout session {session['id']} paid")
    return "fulfilled", paid


def _intent_id(session: dict) -> str | None:
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        return intent.get("id")
    return intent


def fulfil(db: sqlite_utils.Database, session: dict) -> str:
    """Make the order of a paid Checkout Session `paid` and queue its processing, once.

    Idempotent and safe to race: the status check and the change happen under SQLite's write
    lock, so whichever caller gets there second sees `paid` and enqueues nothing.
    """
    with store.transaction(db):
        outcome, paid = _fulfil_in_transaction(db, session)
    if paid is not None:
        _enqueue(paid)
    return outcome


def _enqueue(order: dict) -> None:
    try:
        queue.process_order(order["id"], order["tier"])
    except Exception:
        # The order is paid and recorded; the reconciler re-queues paid orders nobody holds.
        log.exception("could not enqueue order %s", order["order_number"])


# -- webhook events -------------------------------------------------------------------------

HANDLED_EVENTS = frozenset({
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired", "charge.refunded",
})


def handle_event(db: sqlite_utils.Database, event: dict) -> str:
    """Apply a verified Stripe event once; returns what happened (stored with the event id)."""
    event_type = event["type"]
    paid = None
    with store.transaction(db):
        if not store.payments.record_stripe_event(db, event_id=event["id"], event_type=event_type,
                                                  payload=json.dumps(event)):
            return "duplicate"
        obj = (event.get("data") or {}).get("object") or {}
        order_id = None
        if event_type not in HANDLED_EVENTS:
            outcome = "ignored"
        elif event_type in ("checkout.session.completed",
                            "checkout.session.async_payment_succeeded"):
            outcome, paid = _fulfil_in_transaction(db, obj)
            order, _ = _order_for_session(db, obj)
            order_id = order["id"] if order else None
        elif event_type == "checkout.session.async_payment_failed":
            outcome, order_id = _session_closed(db, obj, "failed")
        elif event_type == "checkout.session.expired":
            outcome, order_id = _session_closed(db, obj, "expired")
        else:
            outcome, order_id = _charge_refunded(db, obj)
        store.payments.set_stripe_event_outcome(db, event["id"], outcome, order_id)
    if paid is not None:
        _enqueue(paid)
    log.info("stripe event %s %s: %s", event["id"], event_type, outcome)
    return outcome


def _session_closed(db: sqlite_utils.Database, session: dict,
                    payment_status: str) -> tuple[str, int | None]:
    """A session that will never be paid: its payment row closes; an order with no other
    live session expires (after a failed async payment the customer may still pay again)."""
    order, payment = _order_for_session(db, session)
    if order is None:
        return "unknown_order", None
    if payment is not None and payment["status"] in ("open", "processing"):
        store.payments.update(db, payment["id"], status=payment_status)
    if order["status"] != "payment_pending":
        # Out of order or late (say, expiry of an old session after another one was paid).
        return f"payment_{payment_status}_ignored", order["id"]
    live = [p for p in store.payments.for_order(db, order["id"])
            if p["status"] in ("open", "processing", "succeeded")]
    if payment_status == "expired" and not live:
        lifecycle.transition(db, order["id"], "expired", reason="checkout session expired")
        return "order_expired", order["id"]
    return f"payment_{payment_status}", order["id"]


def _charge_refunded(db: sqlite_utils.Database, charge: dict) -> tuple[str, int | None]:
    """Record a refund made at Stripe (full refunds only move the order)."""
    intent = charge.get("payment_intent")
    payment = store.payments.by_intent(db, intent) if isinstance(intent, str) else None
    if payment is None:
        return "unknown_payment", None
    order = store.orders.get(db, payment["order_id"])
    assert order is not None
    if not charge.get("refunded"):
        return "partial_refund_recorded", order["id"]
    store.payments.update(db, payment["id"], status="refunded")
    # Completes our refund row (or records one made in Stripe's dashboard), which moves the
    # order to refunded: a refund whose process died after calling Stripe is finished here.
    refunds.record_stripe_refund(db, order, payment, charge)
    order = store.orders.get(db, order["id"]) or order
    if order["status"] == "refunded":
        return "order_refunded", order["id"]
    if lifecycle.can_transition(order["status"], "refunded"):
        lifecycle.transition(db, order["id"], "refunded", reason="refunded at Stripe")
        return "order_refunded", order["id"]
    # Paid or processing: a person refunded mid-run; the payment row says so, the order
    # needs a person too (orders_needing_attention shows it once its lease lapses).
    log.error("order %s refunded at Stripe while %s", order["order_number"], order["status"])
    return "refund_recorded", order["id"]
