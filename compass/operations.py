"""What an operator can do to one order, shared by the admin pages and the CLI.

Each action checks the order's state and says in words what it did or why it refused
(`ActionRefused`), so the page and the terminal show the same sentence. Actions are safe
to repeat: retrying an order a worker holds does nothing, a resend is one email, a refund
goes through compass.refunds (one live refund per order, Stripe idempotency keys).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import sqlite_utils

from compass import clock, queue, store
from compass.settings import Settings
from compass.templating import money

log = logging.getLogger(__name__)

# The order emails an operator may send again (sign-in links and summaries are not
# tied to an order; a sign-in link is made fresh with `login_link`).
RESENDABLE = ("payment_confirmation", "report_ready", "processing_failed", "refund_processed",
              "still_processing")
# Which order states make each email meaningful.
_EMAIL_NEEDS = {
    "payment_confirmation": {"paid", "processing", "completed", "failed", "refunded"},
    "report_ready": {"completed"},
    "processing_failed": {"failed", "refunded"},
    "refund_processed": {"refunded"},
    "still_processing": {"paid", "processing"},
}


class ActionRefused(Exception):
    """The action does not apply to this order now; the message says why."""


def retry_order(db: sqlite_utils.Database, order: dict, *, now: str | None = None) -> str:
    """Wake the worker for a paid order that is not being worked on.

    Only `paid` and `processing` orders need work. A failed order has already been refunded
    automatically (the refund is recorded with the failure), so there is no way back to
    processing for it; an order under a live lease is running and is left alone.
    """
    now = now or clock.now_iso()
    status = order["status"]
    if status == "failed":
        raise ActionRefused("A failed order is refunded automatically when it fails; it "
                            "cannot be run again. Ask the customer to order again instead.")
    if status not in ("paid", "processing"):
        raise ActionRefused(f"The order is {status}: there is nothing to run.")
    if order.get("lease_owner") and (order.get("lease_expires_at") or "") > now:
        raise ActionRefused(f"A worker ({order['lease_owner']}) is running it now "
                            f"(lease until {order['lease_expires_at']}).")
    queue.process_order(order["id"], order["tier"])
    log.warning("order %s re-queued by an operator", order["order_number"])
    return f"Order {order['order_number']} queued for the worker."


def resend_email(db: sqlite_utils.Database, settings: Settings, order: dict, kind: str) -> str:
    """Send the order's email of `kind` again (or for the first time), as a new message."""
    from compass import mail, notifications

    if kind not in RESENDABLE:
        raise ActionRefused(f"Unknown email kind {kind!r}; one of: {', '.join(RESENDABLE)}.")
    if order["status"] not in _EMAIL_NEEDS[kind]:
        raise ActionRefused(f"A {kind.replace('_', ' ')} email does not fit an order that "
                            f"is {order['status']}.")
    with store.transaction(db):
        existing = store.emails.for_order_kind(db, order["id"], kind)
        if existing is None:
            email_id = notifications.queue_order_email(db, order, kind)
        else:
            if existing["status"] == "sending":
                raise ActionRefused("That email is being sent right now.")
            email_id = existing["id"]
            # A new Message-ID: receiving servers drop a message whose id they have seen.
            message_id = mail.message_id_for(
                f"{order['public_id']}.{kind}.resend-{secrets.token_hex(4)}", settings)
            store.emails.reset_for_resend(db, email_id, message_id=message_id)
            store.after_commit(db, lambda: queue.send_email(email_id))
    log.info("order %s: %s email queued again by an operator", order["order_number"], kind)
    return f"The {kind.replace('_', ' ')} email to the customer is queued (email {email_id})."


def refund_order(db: sqlite_utils.Database, order: dict, *, admin_email: str,
                 reason: str = "") -> str:
    """Make (or unblock) the order's refund.

    A request waiting for review is approved; one Stripe refused is tried again with a new
    key; with no refund yet, an admin refund is created for a completed or failed order.
    The worker then makes it (exactly once: see compass.refunds).
    """
    from compass import refunds

    live = store.refunds.live_for_order(db, order["id"])
    if live is not None:
        if live["status"] == "pending_review":
            refunds.approve(db, live["id"], admin_email=admin_email, note=reason)
            queue.process_refund(live["id"])
            return f"Refund {live['id']} approved; the worker is making it."
        if live["status"] == "failed":
            refunds.retry_rejected(db, live["id"], admin_email=admin_email)
            queue.process_refund(live["id"])
            return f"Refund {live['id']} is being tried again."
        if live["status"] == "processing":
            raise ActionRefused(f"Refund {live['id']} is already being made.")
        raise ActionRefused("The order has already been refunded.")
    try:
        refund = refunds.admin_refund(db, order["id"], admin_email=admin_email, reason=reason)
    except refunds.RefundNotAllowed as refused:
        raise ActionRefused(str(refused)) from refused
    refund_id = refund["id"]
    log.warning("order %s: refund %s made by an operator", order["order_number"], refund_id)
    return f"Refund {refund_id} created; the worker is making it."


@dataclass(frozen=True)
class Available:
    """The actions an order's state allows now: the admin page offers only these."""

    retry: bool
    refund: str | None  # the button's words, or None when no refund can be made
    resend: tuple[str, ...]


def available(db: sqlite_utils.Database, order: dict, *, now: str | None = None) -> Available:
    """Mirrors retry_order, refund_order and resend_email's rules (which still decide)."""
    now = now or clock.now_iso()
    status = order["status"]
    leased = bool(order.get("lease_owner") and (order.get("lease_expires_at") or "") > now)
    live = store.refunds.live_for_order(db, order["id"])
    refund: str | None = None
    if live is not None:
        refund = {"pending_review": "Approve the refund request",
                  "failed": "Try the refund again"}.get(live["status"])
    elif status in ("completed", "failed"):
        refund = f"Refund {money(order['amount_cents'] - (order.get('discount_cents') or 0))}"
    return Available(retry=status in ("paid", "processing") and not leased, refund=refund,
                     resend=tuple(k for k in RESENDABLE if status in _EMAIL_NEEDS[k]))


def login_link(db: sqlite_utils.Database, settings: Settings, email: str) -> str:
    """A sign-in link for a customer or admin, for support to pass on (valid 15 minutes)."""
    from compass import accounts

    message = accounts.prepare_login_email(db, settings, accounts.normalise_email(email))
    if message.kind != "magic_link":
        raise ActionRefused(f"No customer or admin uses {email}.")
    return message.url
