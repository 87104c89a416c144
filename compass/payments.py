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

import asyncio
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

from compass import clock, disputes, lifecycle, queue, ratelimit, referrals, refunds, store
from compass.settings import Settings
from compass.stripe_client import (
    CHECKOUT_BUDGET_SECONDS,
    api_version,
    describe_error,
    stripe_client,
)
from compass.tiers import get_tier

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
# Abandoned checkouts expire after this; Stripe accepts 30 minutes to 24 hours.
CHECKOUT_LIFETIME_SECONDS = 60 * 60
TEST_CARD_OK = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"
# What the dev checkout stamps on its events: the SDK's own version, which the webhook
# endpoint must also use (docs/deploy.md), so dev events are shaped like real ones.
STRIPE_API_VERSION = api_version()
# A customer may open Checkout this often per order per hour (the cancel page's and the
# apology page's "try again"); each opening expires the previous session.
CHECKOUT_ATTEMPTS = ratelimit.Limit("checkout_attempts_per_order", 6, dt.timedelta(hours=1))



class CheckoutError(Exception):
    """The payment provider could not create or read a Checkout Session."""


class CheckoutUnreachable(CheckoutError):
    """No answer (timeout, dropped connection) or a 5xx/429: the outcome is unknown."""


class SessionNotOpen(CheckoutError):
    """The session cannot be expired: it is complete or expired already."""


class CheckoutLimited(CheckoutError):
    """Too many checkout attempts for this order, or one is being opened right now."""


class PaymentUnderway(Exception):
    """The order was paid, or a payment is being confirmed: show its status, open nothing."""


class CardDeclined(Exception):
    """The dev checkout's decline test card (or any card it does not know) was used."""


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


class CheckoutGateway(Protocol):
    provider: str
    settings: Settings

    async def create_session(self, params: dict[str, Any], idempotency_key: str) -> dict: ...

    async def retrieve_session(self, session_id: str) -> dict: ...

    async def expire_session(self, session_id: str) -> dict: ...


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
    } | _discount_params(settings, order)


def _discount_params(settings: Settings, order: dict) -> dict[str, Any]:
    """The order's own discount (a referral coupon or a promotion code from the order
    form) through `discounts`, else, if allowed, a code typed on Checkout's page. Stripe
    takes one or the other ("You may only specify one of these parameters:
    allow_promotion_codes, discounts") and "up to one coupon or promotion code"
    (https://docs.stripe.com/payments/checkout/discounts)."""
    if order.get("discount_json"):
        return {"discounts": [json.loads(order["discount_json"])]}
    return {"allow_promotion_codes": True} if settings.STRIPE_ALLOW_PROMOTION_CODES else {}


def charged_cents(order: dict) -> int:
    """What the customer is charged: the price less the order's discount."""
    return int(order["amount_cents"]) - int(order.get("discount_cents") or 0)


class StripeCheckout:
    provider = "stripe"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = stripe_client(settings)

    async def create_session(self, params: dict[str, Any], idempotency_key: str) -> dict:
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                # The SDK's own retries, and a retry of a lost answer, send this same key
                # with these same parameters (stored with the attempt): the same session.
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _checkout_error(exc) from exc
        if not session.url:
            raise CheckoutError("Stripe returned a Checkout Session without a URL")
        return session.to_dict()

    async def retrieve_session(self, session_id: str) -> dict:
        try:
            session = await self.client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.StripeError as exc:
            raise _checkout_error(exc) from exc
        return session.to_dict()

    async def expire_session(self, session_id: str) -> dict:
        """https://docs.stripe.com/api/checkout/sessions/expire: only an open session can
        be expired; Stripe answers an error for one already complete or expired."""
        try:
            session = await self.client.v1.checkout.sessions.expire_async(session_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 400:
                raise SessionNotOpen(describe_error(exc)) from exc
            raise _checkout_error(exc) from exc
        except stripe.StripeError as exc:
            raise _checkout_error(exc) from exc
        return session.to_dict()


def _checkout_error(exc: stripe.StripeError) -> CheckoutError:
    status = exc.http_status or 0
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or status == 0 \
            or status == 429 or status >= 500:
        return CheckoutUnreachable(describe_error(exc))
    return CheckoutError(describe_error(exc))


class DevCheckout:
    """A local stand-in for Stripe Checkout (development only)."""

    provider = "dev"

    def __init__(self, settings: Settings, db: sqlite_utils.Database):
        self.settings = settings
        self.db = db

    async def create_session(self, params: dict[str, Any], idempotency_key: str) -> dict:
        session_id = "cs_test_dev_" + secrets.token_urlsafe(24)
        url = f"{self.settings.BASE_URL.rstrip('/')}/dev/checkout/{session_id}"
        price = params["line_items"][0]["price_data"]
        discounts = params.get("discounts") or []
        if discounts and params.get("allow_promotion_codes"):
            raise CheckoutError("You may only specify one of these parameters: "
                                "allow_promotion_codes, discounts.")
        try:
            discount = referrals.dev_session_discount(self.db, discounts, price["unit_amount"],
                                                      price["currency"])
        except ValueError as exc:
            raise CheckoutError(str(exc)) from exc
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "status": "open", "payment_status": "unpaid", "livemode": False,
            "amount_total": price["unit_amount"] - discount,
            "amount_subtotal": price["unit_amount"], "discounts": discounts,
            "total_details": {"amount_discount": discount, "amount_shipping": 0,
                              "amount_tax": 0},
            "currency": price["currency"], "customer_email": params["customer_email"],
            "customer_details": {"email": params["customer_email"]},
            "client_reference_id": params["client_reference_id"],
            "metadata": params["metadata"], "payment_intent": None,
            "success_url": params["success_url"], "cancel_url": params["cancel_url"],
            "created": int(time.time()), "expires_at": params["expires_at"], "url": url,
            "line_items_summary": price["product_data"],
        }
        with store.transaction(self.db):
            store.payments.put_dev_session(self.db, session_id, json.dumps(session))
        return session

    async def expire_session(self, session_id: str) -> dict:
        with store.transaction(self.db):
            session = await self.retrieve_session(session_id)
            if session["status"] != "open":
                raise SessionNotOpen(f"this checkout session is {session['status']}")
            session["status"] = "expired"
            store.payments.put_dev_session(self.db, session_id, json.dumps(session))
        return session

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
            referrals.dev_redeem(self.db, session)
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
    """Open a Checkout Session for a payment_pending order: the order's only payable one.

    1. The attempt is written first (rate-limited per order; one at a time) with the exact
       parameters it sends, under a key no other parameters will ever use.
    2. Earlier attempts whose answer was lost are replayed (same key, same parameters), so
       their sessions are known; every open session of the order is then expired.
       A session found complete instead was paid meanwhile: it is fulfilled and
       PaymentUnderway raised (the customer is shown the order, not a second checkout).
    3. The new session is created and remembered.

    Raises CheckoutError (logged here; the order untouched and still payable; subclasses
    CheckoutLimited and CheckoutUnreachable), PaymentUnderway, or
    lifecycle.IllegalTransition when the order is not awaiting payment. The whole call is
    bounded by CHECKOUT_BUDGET_SECONDS.
    """
    if order["status"] != "payment_pending":
        raise lifecycle.IllegalTransition(f"order {order['order_number']} is {order['status']}")
    attempt = _claim_attempt(db, gateway, order)
    try:
        async with asyncio.timeout(CHECKOUT_BUDGET_SECONDS):
            return await _open_session(db, gateway, order, attempt)
    except TimeoutError as exc:
        with store.transaction(db):
            store.payments.update_attempt(db, attempt["id"], last_error="timed out")
        log.error("order %s: the payment provider did not answer within %g s",
                  order["order_number"], CHECKOUT_BUDGET_SECONDS)
        raise CheckoutUnreachable("the payment provider did not answer in time") from exc
    except CheckoutError:
        log.exception("could not create a checkout session for order %s", order["order_number"])
        raise


def _claim_attempt(db: sqlite_utils.Database, gateway: CheckoutGateway, order: dict) -> dict:
    customer = store.customers.get(db, order["customer_id"])
    assert customer is not None
    expires_at = int(time.time()) + CHECKOUT_LIFETIME_SECONDS
    params = session_params(gateway.settings, order, customer["email"], expires_at)
    busy_after = clock.iso(dt.datetime.now(dt.UTC)
                           - dt.timedelta(seconds=CHECKOUT_BUDGET_SECONDS + 5))
    with store.transaction(db):
        # Under the write lock: two retries racing here cannot both open a session.
        if any(a["last_error"] is None and a["updated_at"] > busy_after
               for a in store.payments.unresolved_attempts(db, order["id"])):
            raise CheckoutLimited("a checkout for this order is being opened right now")
        if not ratelimit.allowed(db, CHECKOUT_ATTEMPTS, order["public_id"]):
            raise CheckoutLimited("too many checkout attempts for this order")
        store.ratelimit.add_hit(db, CHECKOUT_ATTEMPTS.bucket, order["public_id"],
                                 clock.now_iso())
        return store.payments.insert_attempt(
            db, order_id=order["id"], provider=gateway.provider,
            key_prefix=f"checkout-{order['public_id']}", params_json=json.dumps(params))


async def _open_session(db: sqlite_utils.Database, gateway: CheckoutGateway, order: dict,
                        attempt: dict) -> CreatedSession:
    try:
        await _recover_lost_attempts(db, gateway, order, but=attempt["id"])
        await _close_open_sessions(db, gateway, order)
    except BaseException as exc:
        # Never sent: its key was not used, so the attempt is simply over.
        with store.transaction(db):
            store.payments.update_attempt(db, attempt["id"], status="failed", params_json="{}",
                                          last_error=f"not sent: {type(exc).__name__}")
        raise
    try:
        session = await gateway.create_session(json.loads(attempt["params_json"]),
                                               attempt["idempotency_key"])
    except CheckoutUnreachable as exc:
        # Maybe created, answer lost: the next attempt replays this one to find out.
        with store.transaction(db):
            store.payments.update_attempt(db, attempt["id"], last_error=str(exc)[:500])
        raise
    except CheckoutError as exc:
        with store.transaction(db):
            store.payments.update_attempt(db, attempt["id"], status="failed", params_json="{}",
                                          last_error=str(exc)[:500])
        raise
    return _remember_session(db, gateway, order, attempt, session)


def _remember_session(db: sqlite_utils.Database, gateway: CheckoutGateway, order: dict,
                      attempt: dict, session: dict) -> CreatedSession:
    with store.transaction(db):
        if store.payments.by_session(db, session["id"]) is None:
            store.payments.insert(
                db, order_id=order["id"], provider=gateway.provider,
                checkout_session_id=session["id"], checkout_url=session.get("url") or "",
                amount_cents=charged_cents(order), currency=order["currency"],
                expires_at=_iso(session.get("expires_at") or time.time()))
        store.payments.update_attempt(db, attempt["id"], status="created", params_json="{}",
                                      checkout_session_id=session["id"], last_error=None)
    return CreatedSession(id=session["id"], url=session.get("url") or "")


async def _recover_lost_attempts(db: sqlite_utils.Database, gateway: CheckoutGateway,
                                 order: dict, *, but: int) -> None:
    """Replay attempts whose answer never came: Stripe returns the session it made then
    (or makes it now), which `_close_open_sessions` then expires."""
    for lost in store.payments.unresolved_attempts(db, order["id"]):
        if lost["id"] == but or lost["provider"] != gateway.provider:
            continue
        try:
            session = await gateway.create_session(json.loads(lost["params_json"]),
                                                   lost["idempotency_key"])
        except CheckoutUnreachable:
            raise  # still no answer: opening another session now could make two payable
        except CheckoutError as exc:
            with store.transaction(db):
                store.payments.update_attempt(db, lost["id"], status="failed", params_json="{}",
                                              last_error=str(exc)[:500])
            continue
        _remember_session(db, gateway, order, lost, session)
        log.warning("order %s: recovered checkout session %s of attempt %s", order["order_number"],
                    session["id"], lost["number"])


async def _close_open_sessions(db: sqlite_utils.Database, gateway: CheckoutGateway,
                               order: dict) -> None:
    for payment in store.payments.for_order(db, order["id"]):
        if payment["provider"] != gateway.provider:
            continue
        if payment["status"] in ("processing", "succeeded"):
            raise PaymentUnderway(f"order {order['order_number']} has a payment "
                                  f"{payment['status']}")
        if payment["status"] != "open":
            continue
        # Marked first: its expiry event may arrive before expire_session returns, and
        # must not expire the order while the new session is being made.
        with store.transaction(db):
            store.payments.update(db, payment["id"], superseded_at=clock.now_iso())
        try:
            await gateway.expire_session(payment["checkout_session_id"])
        except SessionNotOpen:
            session = await gateway.retrieve_session(payment["checkout_session_id"])
            if session.get("status") == "complete":
                outcome = fulfil(db, session)
                log.warning("order %s: session %s was completed meanwhile (%s)",
                            order["order_number"], session["id"], outcome)
                raise PaymentUnderway(f"order {order['order_number']}: {outcome}") from None
        with store.transaction(db):
            current = store.payments.get(db, payment["id"])
            if current is not None and current["status"] == "open":
                store.payments.update(db, payment["id"], status="expired")


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
    """(outcome, order that just became paid or None). Caller holds the write transaction.

    The checks run in this order on purpose: a payment already `succeeded` is never
    downgraded by a later event (say, one rendered for an endpoint on another API version
    whose amounts differ); a second payment for a paid order is refunded, whatever it
    says; only a first payment is held to the order's amount and currency.
    """
    order, payment = _order_for_session(db, session)
    if order is None:
        log.error("checkout session %s matches no order", session.get("id"))
        return "unknown_order", None
    if session.get("payment_status") != "paid":
        # A completed session still unpaid is an async method (bank debit) under way; an
        # open one is just a customer who has not paid (yet).
        if payment is not None and payment["status"] == "open" \
                and session.get("status") == "complete":
            store.payments.update(db, payment["id"], status="processing")
        return "awaiting_payment", None
    if payment is None:
        # The session was created but we crashed before storing it: adopt it now.
        payment_id = store.payments.insert(
            db, order_id=order["id"],
            provider="dev" if str(session.get("id")).startswith("cs_test_dev_") else "stripe",
            checkout_session_id=session["id"], checkout_url=session.get("url") or "",
            amount_cents=session.get("amount_total") or 0,
            currency=(session.get("currency") or "").lower(), expires_at=None)
        payment = store.payments.get(db, payment_id)
        assert payment is not None
    if payment["status"] in ("succeeded", "refunded"):
        return "already_fulfilled", None
    late = order["status"] == "expired"
    if late and _erased(order):
        # Its answers are gone (the customer deleted their account): nothing to run.
        store.payments.update(db, payment["id"], status="succeeded",
                             payment_intent_id=_intent_id(session))
        log.error("order %s was paid after it expired, but its answers were erased; "
                  "needs a person (refund)", order["order_number"])
        return "paid_after_expiry_needs_a_person", None
    if order["status"] not in ("payment_pending", "expired"):
        return _duplicate_payment(db, order, payment, session), None
    amount, currency = session.get("amount_total"), (session.get("currency") or "").lower()
    # A discount lowers amount_total by total_details.amount_discount
    # (https://docs.stripe.com/api/checkout/sessions/object): the price itself must match,
    # and an order placed with a discount must be charged exactly the discounted amount its
    # session was created with; without one, a code typed on Checkout's page may lower it.
    discount = int((session.get("total_details") or {}).get("amount_discount") or 0)
    own_discount = bool(order.get("discount_json"))
    if not isinstance(amount, int) or amount + discount != order["amount_cents"] \
            or (own_discount and amount != charged_cents(order)) \
            or currency != order["currency"]:
        log.error("order %s: paid %s %s but is charged %s %s; not fulfilling",
                  order["order_number"], amount, currency, charged_cents(order),
                  order["currency"])
        store.payments.update(db, payment["id"], status="mismatch",
                             payment_intent_id=_intent_id(session))
        return "amount_mismatch", None
    # What was actually paid: refunds return this, never more; revenue counts it.
    store.payments.update(db, payment["id"], status="succeeded", amount_cents=amount,
                          payment_intent_id=_intent_id(session))
    if not own_discount and discount:
        store.referrals.set_order_discount(db, order["id"], discount_cents=discount,
                                           discount_json=None)
    # Paid after the order expired (a checkout completed as it timed out, a slow payment
    # method): the customer meant to buy and the money is ours, so the order is revived
    # and delivered rather than refunded; see docs/orders-and-payments.md.
    paid = lifecycle.transition(
        db, order["id"], "paid",
        reason=(f"checkout session {session['id']} paid after the order had expired: revived"
                if late else f"checkout session {session['id']} paid"))
    if late:
        log.warning("order %s was paid after it expired: revived", order["order_number"])
    # In the outbox with the payment: a crash right after the commit delays it by seconds.
    queue.after_commit(db, "process_order", paid["id"], paid["tier"])
    return ("paid_after_expiry_revived" if late else "fulfilled"), paid


def _erased(order: dict) -> bool:
    try:
        return "erased_at" in json.loads(order.get("input_json") or "{}")
    except ValueError:
        return True


def _duplicate_payment(db: sqlite_utils.Database, order: dict, payment: dict,
                       session: dict) -> str:
    """A second session of an already-paid order was paid too: give that money back."""
    paying = store.payments.paid_for_order(db, order["id"])
    store.payments.update(db, payment["id"], status="succeeded",
                         payment_intent_id=_intent_id(session),
                         amount_cents=int(session.get("amount_total") or 0),
                         currency=(session.get("currency") or order["currency"]).lower(),
                         duplicate_of=paying["id"] if paying else None)
    if paying is None:
        # Paid by no payment we know (an operator moved it): a person decides.
        log.error("order %s is %s with no paying payment; session %s paid too",
                  order["order_number"], order["status"], session.get("id"))
        return "paid_twice_needs_a_person"
    refunds.refund_duplicate_payment(db, order, store.payments.get(db, payment["id"]) or payment)
    log.error("order %s was paid twice (session %s); refunding the second payment",
              order["order_number"], session.get("id"))
    return "duplicate_payment_refunding"


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
        outcome, _ = _fulfil_in_transaction(db, session)
    return outcome


# -- webhook events -------------------------------------------------------------------------

REFUND_EVENTS = frozenset({"charge.refund.updated", "refund.failed", "refund.updated"})
HANDLED_EVENTS = frozenset({
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired", "charge.refunded",
}) | REFUND_EVENTS | disputes.EVENTS


def handle_event(db: sqlite_utils.Database, event: dict) -> str:
    """Apply a verified Stripe event once; returns what happened (stored with the event id)."""
    event_type = event["type"]
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
            outcome, _ = _fulfil_in_transaction(db, obj)
            order, _ = _order_for_session(db, obj)
            order_id = order["id"] if order else None
        elif event_type == "checkout.session.async_payment_failed":
            outcome, order_id = _session_closed(db, obj, "failed")
        elif event_type == "checkout.session.expired":
            outcome, order_id = _session_closed(db, obj, "expired")
        elif event_type in disputes.EVENTS:
            outcome, order_id = disputes.record(db, event_type, obj)
        elif event_type in REFUND_EVENTS:
            outcome, order_id = refunds.record_refund_update(db, obj)
        else:
            outcome, order_id = _charge_refunded(db, obj)
        store.payments.set_stripe_event_outcome(db, event["id"], outcome, order_id)
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
    if payment is not None and payment["superseded_at"]:
        # We expired it ourselves for a newer session (which may not be stored yet).
        return f"payment_{payment_status}_superseded", order["id"]
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
    if payment["duplicate_of"] is not None:
        # The automatic refund of a second payment: the order itself stays as it is.
        refunds.record_duplicate_refunded(db, order, payment, charge)
        return "duplicate_payment_refunded", order["id"]
    live = store.refunds.live_for_order(db, order["id"])
    if live is not None and live["provider_status"] in refunds.WAITING:
        # Stripe marks the charge refunded when the refund is made, not when it is done.
        return "refund_pending", order["id"]
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
