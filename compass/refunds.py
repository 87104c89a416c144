"""Refunds: who gets one automatically, and making it exactly once.

A customer's request is approved automatically when all three rules hold (under 7 days
since payment, the report never downloaded, their first refund); otherwise it waits for
an admin with everything the review needs recorded. A failed order is refunded without
being asked (a lifecycle hook records it in the transaction that fails the order).

Exactly once, across crashes:
1. the refund row is written (status `processing`) before Stripe is called;
2. Stripe is called with an idempotency key made from the row (`refund-<order>-<id>-<n>`),
   so a retry of the same row returns the same Stripe refund, never a second one;
3. the row, the payment and the order (→ `refunded`) are updated in one transaction.
A crash between 2 and 3 leaves the row `processing`: `retry_stuck` (the worker's
periodic task) repeats step 2 with the same key, and the `charge.refunded` webhook
completes the row on its own (`record_stripe_refund`), whichever comes first.

Without STRIPE_SECRET_KEY (development), payments made on the dev checkout are refunded
by `DevRefunds` through the same steps, with a dev refund id. Nothing here knows HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

import sqlite_utils
import stripe

from compass import clock, lifecycle, notifications, queue, store, templating
from compass.settings import Settings
from compass.stripe_client import describe_error, stripe_client

log = logging.getLogger(__name__)

AUTO_APPROVE_DAYS = 7
# Stripe refund statuses that mean "made, not finished yet".
WAITING = frozenset({"pending", "requires_action"})
REASON_MAX = 2000
# A `processing` refund not tried for this long is retried (its process died, or Stripe
# was unreachable).
RETRY_AFTER = dt.timedelta(minutes=2)

Kind = Literal["customer_request", "processing_failed", "admin", "stripe", "duplicate_payment"]


class RefundNotAllowed(Exception):
    """This order cannot be refunded now; the message is for the customer."""


class RefundUnavailable(Exception):
    """The payment provider could not be reached or answered 5xx/429: try again later."""


class RefundRejected(Exception):
    """The payment provider refused this refund for good (a person has to look)."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str  # Stripe's: pending | succeeded | requires_action | failed | canceled


class Refunds(Protocol):
    provider: str

    async def refund(self, *, payment_intent_id: str, amount_cents: int, idempotency_key: str,
                     metadata: dict[str, str], reason: str | None) -> ProviderRefund: ...

    async def retrieve(self, provider_refund_id: str) -> ProviderRefund: ...


class StripeRefunds:
    """Stripe's Refund API through the official SDK (STRIPE_API_BASE points it at a fake)."""

    provider = "stripe"

    def __init__(self, settings: Settings):
        if settings.STRIPE_SECRET_KEY is None:
            raise RefundUnavailable("STRIPE_SECRET_KEY is not set: Stripe payments cannot be "
                                    "refunded from this deployment")
        self.client = stripe_client(settings)

    async def refund(self, *, payment_intent_id: str, amount_cents: int, idempotency_key: str,
                     metadata: dict[str, str], reason: str | None) -> ProviderRefund:
        params: dict = {"payment_intent": payment_intent_id, "amount": amount_cents,
                        "metadata": metadata}
        if reason:
            params["reason"] = reason
        try:
            refund = await self.client.v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _refund_error(exc) from exc
        return ProviderRefund(id=refund.id, status=refund.status or "pending")

    async def retrieve(self, provider_refund_id: str) -> ProviderRefund:
        try:
            refund = await self.client.v1.refunds.retrieve_async(provider_refund_id)
        except stripe.StripeError as exc:
            raise _refund_error(exc) from exc
        return ProviderRefund(id=refund.id, status=refund.status or "pending")


def _refund_error(exc: stripe.StripeError) -> RefundUnavailable | RefundRejected:
    status = exc.http_status or 0
    described = describe_error(exc)
    if status == 0 or status == 429 or status >= 500 or isinstance(
            exc, stripe.APIConnectionError | stripe.RateLimitError):
        return RefundUnavailable(described)
    return RefundRejected(described, code=exc.code)


class DevRefunds:
    """Development only: refunds dev-checkout payments locally, idempotent by key."""

    provider = "dev"

    async def refund(self, *, payment_intent_id: str, amount_cents: int, idempotency_key: str,
                     metadata: dict[str, str], reason: str | None) -> ProviderRefund:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return ProviderRefund(id=f"re_dev_{digest}", status="succeeded")

    async def retrieve(self, provider_refund_id: str) -> ProviderRefund:
        return ProviderRefund(id=provider_refund_id, status="succeeded")


def refunds_for(settings: Settings, provider: str) -> Refunds:
    """The refund API for a payment made with `provider` ('stripe' or 'dev')."""
    if provider == "dev":
        if settings.is_production:
            raise RefundRejected("a development payment cannot be refunded in production")
        return DevRefunds()
    return StripeRefunds(settings)


# -- the rules ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    rule: str
    passed: bool
    detail: str







def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _days(days: float) -> str:
    if days < 1:
        return "less than a day ago"
    whole = int(days)
    return f"{whole} day{'s' if whole != 1 else ''} ago"


def approval_rules(order: dict, *, earlier_refunds: int, now: dt.datetime) -> list[Rule]:
    """The three automatic-approval rules, each with what was found, in plain words."""
    paid_at = clock.parse(order["paid_at"]) if order.get("paid_at") else None
    age = (now - paid_at) if paid_at else None
    downloads = int(order.get("downloads_count") or 0)
    days = age.total_seconds() / 86400 if age is not None else None
    within = age is not None and age < dt.timedelta(days=AUTO_APPROVE_DAYS)
    return [
        Rule("within_7_days", within,
             "we have no payment date for this order" if days is None else
             f"you paid {_days(days)}" if within else
             f"you paid {_days(days)}, after the first {AUTO_APPROVE_DAYS} days"),
        Rule("never_downloaded", downloads == 0,
             "you have not downloaded the report's PDF" if downloads == 0 else
             f"the report's PDF was downloaded {_times(downloads)}"),
        Rule("first_refund", earlier_refunds == 0,
             "this is your first refund request" if earlier_refunds == 0 else
             f"you have asked for a refund {_times(earlier_refunds)} before"),
    ]


# Why the order was refunded, in the customer's terms (order_events, the refund email).
TRANSITION_REASONS = {"customer_request": "Refund you requested",
                      "processing_failed": "We could not produce your report",
                      "admin": "Refund issued by our team",
                      "stripe": "refunded at Stripe",
                      "duplicate_payment": "second payment for a paid order"}

# Each rule as the condition the customer reads in the list of rules.
RULE_WORDS = {"within_7_days": f"You ask within {AUTO_APPROVE_DAYS} days of paying",
              "never_downloaded": "The report's PDF has not been downloaded",
              "first_refund": "It is your first refund request"}


def review_reason(rules: list[Rule]) -> str:
    """Why a person reviews the request: what was found for each rule that did not hold."""
    return "; ".join(r.detail for r in rules if not r.passed)


@dataclass(frozen=True)
class Eligibility:
    """What the refund page says before the customer asks."""

    can_request: bool
    why_not: str
    rules: list[Rule]

    @property
    def automatic(self) -> bool:
        return self.can_request and all(r.passed for r in self.rules)


def eligibility(db: sqlite_utils.Database, order: dict, *,
                now: dt.datetime | None = None) -> Eligibility:
    now = now or clock.now()
    rules = approval_rules(order, now=now, earlier_refunds=store.refunds.count_for_customer(
        db, order["customer_id"], other_than_order=order["id"]) if order["customer_id"] else 0)
    status = order["status"]
    if store.refunds.live_for_order(db, order["id"]) is not None or status == "refunded":
        return Eligibility(False, "A refund for this order has already been asked for.", rules)
    if status == "completed":
        return Eligibility(True, "", rules)
    if status in ("paid", "processing"):
        why = ("Your report is still being prepared. If it cannot be completed you are refunded "
               "automatically; once it is ready you can ask for a refund here.")
    elif status == "failed":
        why = "This order failed, so it is refunded automatically: you do not need to ask."
    else:
        why = "This order was never paid, so there is nothing to refund."
    return Eligibility(False, why, rules)


# -- asking -------------------------------------------------------------------------------------

def _idempotency_key(order: dict, refund_id: int, generation: int) -> str:
    return f"refund-{order['public_id']}-{refund_id}-{generation}"


def request_refund(db: sqlite_utils.Database, order_id: int, *, customer_id: int, reason: str,
                   now: dt.datetime | None = None) -> dict:
    """Record the customer's request: `processing` if the rules allow, else `pending_review`.

    Idempotent: a second request for the same order (a double-submitted form) returns the
    refund already recorded. Raises RefundNotAllowed with a message for the customer.
    """
    now = now or clock.now()
    reason = reason.strip()[:REASON_MAX]
    with store.transaction(db):
        order = store.orders.get(db, order_id)
        if order is None or order["customer_id"] != customer_id:
            raise RefundNotAllowed("This order is not yours.")
        existing = store.refunds.live_for_order(db, order_id)
        if existing is not None:
            return existing
        verdict = eligibility(db, order, now=now)
        if not verdict.can_request:
            raise RefundNotAllowed(verdict.why_not)
        payment = store.payments.paid_for_order(db, order_id)
        if payment is None:
            raise RefundNotAllowed("We could not find the payment for this order. Please write "
                                   "to us and we will sort it out.")
        automatic = verdict.automatic
        paid_at = clock.parse(order["paid_at"]) if order.get("paid_at") else None
        refund_id = store.refunds.insert(
            db, order_id=order_id, payment_id=payment["id"], customer_id=customer_id,
            kind="customer_request", status="processing" if automatic else "pending_review",
            amount_cents=payment["amount_cents"], currency=payment["currency"], reason=reason,
            requested_by=f"customer:{customer_id}", requested_at=clock.iso(now),
            auto_approved=int(automatic), rules_json=json.dumps([asdict(r) for r in verdict.rules]),
            review_reason="" if automatic else review_reason(verdict.rules),
            days_since_payment=round((now - paid_at).total_seconds() / 86400, 3)
            if paid_at else None,
            downloads_at_request=int(order.get("downloads_count") or 0),
            decided_by="automatic" if automatic else None,
            decided_at=clock.iso(now) if automatic else None)
        _set_key(db, order, refund_id)
        refund = store.refunds.get(db, refund_id)
    assert refund is not None
    log.info("order %s: refund %s requested (%s)", order["order_number"], refund_id,
             "approved automatically" if automatic else "waits for review: "
             + refund["review_reason"])
    return refund


def _set_key(db: sqlite_utils.Database, order: dict, refund_id: int, generation: int = 1) -> None:
    store.refunds.update(db, refund_id, key_generation=generation,
                         idempotency_key=_idempotency_key(order, refund_id, generation))


def refund_failed_order(db: sqlite_utils.Database, order: dict, from_status: str,
                         to_status: str) -> None:
    """A failed order is refunded without being asked: recorded with the failure itself."""
    if to_status != "failed" or store.refunds.live_for_order(db, order["id"]) is not None:
        return
    payment = store.payments.paid_for_order(db, order["id"])
    if payment is None:
        log.error("order %s failed but has no payment to refund", order["order_number"])
        return
    now = clock.now()
    refund_id = store.refunds.insert(
        db, order_id=order["id"], payment_id=payment["id"], customer_id=order["customer_id"],
        kind="processing_failed", status="processing", amount_cents=payment["amount_cents"],
        currency=payment["currency"],
        reason="We could not produce a report that passed our quality review.",
        requested_by="system", requested_at=clock.iso(now), auto_approved=1,
        decided_by="automatic", decided_at=clock.iso(now))
    _set_key(db, order, refund_id)
    queue.after_commit(db, "process_refund", refund_id)


def admin_refund(db: sqlite_utils.Database, order_id: int, *, admin_email: str,
                 reason: str = "") -> dict:
    """An admin refunds a completed or failed order outright (queued for the worker).

    Returns the order's live refund instead when it already has one.
    """
    with store.transaction(db):
        order = store.orders.get(db, order_id)
        if order is None:
            raise RefundNotAllowed("No such order.")
        live = store.refunds.live_for_order(db, order_id)
        if live is not None:
            return live
        if order["status"] not in ("completed", "failed"):
            raise RefundNotAllowed(f"The order is {order['status']}; only completed or failed "
                                   "orders can be refunded.")
        payment = store.payments.paid_for_order(db, order_id)
        if payment is None:
            raise RefundNotAllowed("The order has no successful payment to refund.")
        now = clock.now_iso()
        refund_id = store.refunds.insert(
            db, order_id=order_id, payment_id=payment["id"], customer_id=order["customer_id"],
            kind="admin", status="processing", amount_cents=payment["amount_cents"],
            currency=payment["currency"],
            reason=(reason or "Refunded by the operator").strip()[:REASON_MAX],
            requested_by=f"admin:{admin_email}", requested_at=now, auto_approved=0,
            decided_by=f"admin:{admin_email}", decided_at=now)
        _set_key(db, order, refund_id)
        queue.after_commit(db, "process_refund", refund_id)
        refund = store.refunds.get(db, refund_id)
    assert refund is not None
    log.warning("order %s: refund %s made by an admin", order["order_number"], refund_id)
    return refund


def approve(db: sqlite_utils.Database, refund_id: int, *, admin_email: str,
            note: str = "") -> dict:
    """An admin approves a refund waiting for review (then call `process`)."""
    return _decide(db, refund_id, "processing", admin_email, note)


def deny(db: sqlite_utils.Database, refund_id: int, *, admin_email: str, note: str) -> dict:
    """An admin turns a request down; `note` is the reason, emailed to the customer."""
    if not note.strip():
        raise RefundNotAllowed("Give the customer a reason for the refusal.")
    denied = _decide(db, refund_id, "denied", admin_email, note)
    with store.transaction(db):
        order = store.orders.get(db, denied["order_id"])
        assert order is not None
        notifications.queue_order_email(db, order, "refund_denied",
                                        {"reason": denied["decision_note"]})
    return denied


def _decide(db: sqlite_utils.Database, refund_id: int, status: str, admin_email: str,
            note: str) -> dict:
    with store.transaction(db):
        refund = store.refunds.get(db, refund_id)
        if refund is None or refund["status"] != "pending_review":
            raise RefundNotAllowed("This refund is not waiting for a decision.")
        store.refunds.update(db, refund_id, status=status, decided_by=f"admin:{admin_email}",
                             decided_at=clock.now_iso(), decision_note=note.strip()[:REASON_MAX])
        decided = store.refunds.get(db, refund_id)
    assert decided is not None
    log.info("refund %s %s by an admin", refund_id, "approved" if status == "processing"
             else "denied")
    return decided


def retry_rejected(db: sqlite_utils.Database, refund_id: int, *, admin_email: str) -> dict:
    """An admin tries a refund Stripe refused again (with a new key: a refused key stays so)."""
    with store.transaction(db):
        refund = store.refunds.get(db, refund_id)
        if refund is None or refund["status"] != "failed":
            raise RefundNotAllowed("Only a refund the payment provider refused can be retried.")
        order = store.orders.get(db, refund["order_id"])
        assert order is not None
        store.refunds.update(db, refund_id, status="processing",
                             decided_by=f"admin:{admin_email}", decided_at=clock.now_iso())
        _set_key(db, order, refund_id, refund["key_generation"] + 1)
        retried = store.refunds.get(db, refund_id)
    assert retried is not None
    return retried


# -- making it ----------------------------------------------------------------------------------

async def process(db: sqlite_utils.Database, settings: Settings, refund_id: int, *,
                  refunds: Refunds | None = None) -> dict:
    """Ask the payment provider for an approved (`processing`) refund and record the outcome.

    Safe to call any number of times, from any process: the idempotency key makes a repeat
    return the same provider refund. Returns the refund row as it then stands (still
    `processing` when the provider could not be reached: `retry_stuck` tries again).
    """
    with store.transaction(db):
        refund = store.refunds.get(db, refund_id)
        if refund is None:
            raise LookupError(f"no refund {refund_id}")
        if refund["status"] != "processing":
            return refund
        payment = store.payments.get(db, refund["payment_id"]) if refund["payment_id"] else None
        order = store.orders.get(db, refund["order_id"])
        assert order is not None
        provider = payment["provider"] if payment else "stripe"
        claimed = store.refunds.claim_attempt(db, refund_id, now=clock.now_iso(),
                                              provider=provider)
    assert claimed is not None
    intent = payment["payment_intent_id"] if payment else None
    try:
        if not intent:
            raise RefundRejected("the payment has no payment intent to refund")
        api = refunds or refunds_for(settings, provider)
        if claimed["provider_refund_id"] and claimed["provider_status"] in WAITING:
            # Made, not finished: a replay of the key would only return the saved answer
            # ("pending"), so ask Stripe how the refund stands now.
            made = await api.retrieve(claimed["provider_refund_id"])
        else:
                made = await api.refund(
                payment_intent_id=intent, amount_cents=refund["amount_cents"],
                idempotency_key=claimed["idempotency_key"],
                metadata={"order_public_id": order["public_id"],
                          "order_number": order["order_number"], "refund_id": str(refund_id)},
                reason={"customer_request": "requested_by_customer",
                        "duplicate_payment": "duplicate"}.get(refund["kind"]))
    except RefundUnavailable as exc:
        with store.transaction(db):
            store.refunds.update(db, refund_id, last_error=str(exc)[:2000])
        log.warning("order %s: refund %s not made yet: %s", order["order_number"], refund_id,
                    exc)
        return _reload(db, refund_id)
    except RefundRejected as exc:
        if exc.code == "charge_already_refunded":
            # Refunded at Stripe already (say, from the dashboard): the money is back.
            return complete(db, refund_id, provider_refund_id=None,
                            note="the charge was already refunded at Stripe")
        with store.transaction(db):
            store.refunds.update(db, refund_id, status="failed", last_error=str(exc)[:2000])
        log.error("order %s: refund %s refused: %s", order["order_number"], refund_id, exc)
        return _reload(db, refund_id)
    if made.status in ("failed", "canceled"):
        with store.transaction(db):
            store.refunds.update(db, refund_id, status="failed", provider_refund_id=made.id,
                                 provider_status=made.status,
                                 last_error=f"the provider's refund {made.id} is {made.status}")
        return _reload(db, refund_id)
    if made.status != "succeeded":
        # Pending (some payment methods take days) or waiting for the customer: not done.
        # charge.refund.updated finishes it, or retry_stuck asks again.
        with store.transaction(db):
            store.refunds.update(db, refund_id, provider_refund_id=made.id,
                                 provider_status=made.status,
                                 last_error=f"the provider's refund {made.id} is {made.status}")
        log.info("order %s: refund %s is %s at the provider", order["order_number"],
                 refund_id, made.status)
        return _reload(db, refund_id)
    return complete(db, refund_id, provider_refund_id=made.id)


def _reload(db: sqlite_utils.Database, refund_id: int) -> dict:
    row = store.refunds.get(db, refund_id)
    assert row is not None
    return row


def complete(db: sqlite_utils.Database, refund_id: int, *, provider_refund_id: str | None,
             note: str = "") -> dict:
    """The provider made the refund: row succeeded, payment refunded, order refunded. Once."""
    with store.transaction(db):
        refund = _reload(db, refund_id)
        if refund["status"] != "succeeded":
            _complete_in_transaction(db, refund, provider_refund_id, note)
    return _reload(db, refund_id)


def _complete_in_transaction(db: sqlite_utils.Database, refund: dict,
                             provider_refund_id: str | None, note: str) -> None:
    fields: dict = {"status": "succeeded", "completed_at": clock.now_iso(), "last_error": None,
                    "provider_status": "succeeded"}
    if provider_refund_id and not refund["provider_refund_id"]:
        fields["provider_refund_id"] = provider_refund_id
    if note:
        fields["decision_note"] = (refund["decision_note"] + "; " if refund["decision_note"]
                                   else "") + note
    store.refunds.update(db, refund["id"], **fields)
    if refund["payment_id"]:
        store.payments.update(db, refund["payment_id"], status="refunded")
    order = store.orders.get(db, refund["order_id"])
    assert order is not None
    if refund["kind"] == "duplicate_payment":
        # Gives back an extra payment only: the order and its real payment are untouched.
        log.warning("order %s: duplicate payment refunded (refund %s)", order["order_number"],
                    refund["id"])
        return
    if lifecycle.can_transition(order["status"], "refunded"):
        # The transition's reason is what the refund email tells the customer.
        lifecycle.transition(db, order["id"], "refunded", reason=TRANSITION_REASONS.get(
            refund["kind"], "Refund issued"))
    elif order["status"] != "refunded":
        log.error("order %s refunded while %s: needs a person", order["order_number"],
                  order["status"])
    log.info("order %s: refund %s made", order["order_number"], refund["id"])


def record_stripe_refund(db: sqlite_utils.Database, order: dict, payment: dict,
                         charge: dict) -> None:
    """`charge.refunded` (fully refunded): complete our refund row, or record one made elsewhere.

    Runs inside the webhook's transaction, before the order moves to `refunded`.
    """
    refund_ids = [r.get("id") for r in ((charge.get("refunds") or {}).get("data") or [])
                  if isinstance(r, dict)]
    provider_refund_id = next((r for r in refund_ids if isinstance(r, str)), None)
    live = store.refunds.live_for_order(db, order["id"])
    if live is not None and live["status"] == "succeeded":
        return
    if live is not None and live["provider_status"] in WAITING:
        return  # created, not finished: charge.refund.updated says when it is
    if live is not None:
        _complete_in_transaction(db, live, provider_refund_id,
                                 "completed by Stripe's charge.refunded event")
        return
    now = clock.now_iso()
    refund_id = store.refunds.insert(
        db, order_id=order["id"], payment_id=payment["id"], customer_id=order["customer_id"],
        kind="stripe", status="processing", amount_cents=int(charge.get("amount_refunded")
                                                             or payment["amount_cents"]),
        currency=payment["currency"], reason="Refunded at Stripe (outside the product).",
        requested_by="stripe", requested_at=now, auto_approved=0, decided_by="stripe",
        decided_at=now)
    _complete_in_transaction(db, _reload(db, refund_id), provider_refund_id, "")


def refund_duplicate_payment(db: sqlite_utils.Database, order: dict, payment: dict) -> int:
    """A payment that succeeded for an order already paid: refund all of it, automatically,
    with its own refund row (so its own idempotency key), and tell the customer once.

    Runs in the webhook's (or success page's) transaction; the refund is made by the worker
    after commit. Idempotent per payment: a repeated event finds the refund recorded.
    """
    existing = store.refunds.for_duplicate_payment(db, payment["id"])
    if existing is not None:
        return int(existing["id"])
    now = clock.now_iso()
    refund_id = store.refunds.insert(
        db, order_id=order["id"], payment_id=payment["id"], customer_id=order["customer_id"],
        kind="duplicate_payment", status="processing", amount_cents=payment["amount_cents"],
        currency=payment["currency"],
        reason="This order was already paid: the second payment is returned in full.",
        requested_by="system", requested_at=now, auto_approved=1, decided_by="automatic",
        decided_at=now)
    _set_key(db, order, refund_id)
    notifications.queue_order_email(db, order, "duplicate_payment_refunded", {
        "refund_amount": templating.money(payment["amount_cents"], payment["currency"])})
    queue.after_commit(db, "process_refund", refund_id)
    return refund_id


def record_duplicate_refunded(db: sqlite_utils.Database, order: dict, payment: dict,
                              charge: dict) -> None:
    """`charge.refunded` for a duplicate payment: its refund row is done (or, if someone
    refunded it at Stripe first, recorded as done)."""
    refund_ids = [r.get("id") for r in ((charge.get("refunds") or {}).get("data") or [])
                  if isinstance(r, dict)]
    provider_refund_id = next((r for r in refund_ids if isinstance(r, str)), None)
    refund = store.refunds.for_duplicate_payment(db, payment["id"])
    if refund is None:
        refund = _reload(db, refund_duplicate_payment(db, order, payment))
    if refund["status"] != "succeeded":
        _complete_in_transaction(db, refund, provider_refund_id,
                                 "completed by Stripe's charge.refunded event")


def record_refund_update(db: sqlite_utils.Database, made: dict) -> tuple[str, int | None]:
    """`charge.refund.updated` / `refund.updated` / `refund.failed` (inside the webhook's
    transaction): a refund finishes only when Stripe says `succeeded`; one that fails after
    it was made goes back to `failed` for a person (refund_queue), with Stripe's reason.

    Refund object fields used (https://docs.stripe.com/api/refunds/object): id, status,
    failure_reason, metadata.refund_id (ours, set when we asked).
    """
    provider_id = made.get("id") if isinstance(made.get("id"), str) else None
    refund = store.refunds.by_provider_id(db, provider_id) if provider_id else None
    ours = str((made.get("metadata") or {}).get("refund_id") or "")
    if refund is None and ours.isdigit():
        refund = store.refunds.get(db, int(ours))
    if refund is None:
        return "unknown_refund", None
    status = str(made.get("status") or "")
    fields: dict = {"provider_status": status}
    if provider_id and not refund["provider_refund_id"]:
        fields["provider_refund_id"] = provider_id
    if status == "succeeded":
        store.refunds.update(db, refund["id"], **fields)
        if refund["status"] != "succeeded":
            _complete_in_transaction(db, _reload(db, refund["id"]), provider_id,
                                     "completed by Stripe's refund update")
        return "refund_succeeded", refund["order_id"]
    if status in ("failed", "canceled"):
        why = made.get("failure_reason") or status
        order = store.orders.get(db, refund["order_id"])
        assert order is not None
        if refund["status"] == "succeeded" and refund["payment_id"]:
            # We had counted the money as returned: it was not. The payment is paid again;
            # the order's status cannot move back, so a person decides (refund_queue).
            store.payments.update(db, refund["payment_id"], status="succeeded")
        store.refunds.update(db, refund["id"], status="failed", completed_at=None,
                            last_error=f"Stripe's refund {provider_id} {status}: {why}"[:2000],
                            **fields)
        log.error("order %s: refund %s %s at Stripe (%s); needs a person",
                  order["order_number"], refund["id"], status, why)
        return "refund_failed", refund["order_id"]
    store.refunds.update(db, refund["id"], **fields)
    return f"refund_{status or 'updated'}", refund["order_id"]


async def retry_stuck(db: sqlite_utils.Database, settings: Settings, *,
                      now: dt.datetime | None = None) -> list[dict]:
    """Finish approved refunds nobody is working on (the reconciler calls this)."""
    now = now or clock.now()
    done = []
    for refund_id in store.refunds.to_retry(db, attempted_before=clock.iso(now - RETRY_AFTER)):
        try:
            done.append(await process(db, settings, refund_id))
        except Exception:
            log.exception("refund %s could not be retried", refund_id)
    return done


def refund_for_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    """The refund the order page shows: the live one, else the latest (say, denied)."""
    live = store.refunds.live_for_order(db, order_id)
    if live is not None:
        return live
    rows = store.refunds.for_order(db, order_id)
    return rows[-1] if rows else None
