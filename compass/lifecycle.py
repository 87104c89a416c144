"""The order lifecycle: the only code that changes an order's status.

    payment_pending → paid → processing → completed
                                       ↘ failed → refunded
                             completed → refunded
    payment_pending → expired

An order waiting for the model API (our key rejected, our spend limit reached) is *held*:
it keeps its status (paid or processing) with `held_at` set, is not failed and not
refunded, and goes on by itself when the API takes calls again (compass.outage). `hold`
and `release_hold` are here because they are a change of the order's state, recorded in
order_events like a transition.

Every transition is a compare-and-set on the current status (so two processes racing on
one order cannot both move it), writes an order_events row, and then runs the registered
transition hooks inside the same transaction. The hooks (the email of every state change,
the automatic refund of a failed order) are registered by compass.startup when a process
starts; nothing else needs to know where transitions happen.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from typing import Literal

import sqlite_utils

from compass import clock, store
from compass.intake import OrderInput
from compass.tiers import Tier

log = logging.getLogger(__name__)

Status = Literal["payment_pending", "paid", "processing", "completed", "failed", "refunded",
                 "expired"]

ALLOWED: dict[str, frozenset[str]] = {
    "payment_pending": frozenset({"paid", "expired"}),
    "paid": frozenset({"processing"}),
    "processing": frozenset({"completed", "failed"}),
    "failed": frozenset({"refunded"}),
    "completed": frozenset({"refunded"}),
    "refunded": frozenset(),
    # Paid after it expired: revived and delivered (compass.payments).
    "expired": frozenset({"paid"}),
}
ACTIVE: frozenset[str] = frozenset({"payment_pending", "paid", "processing"})
FINAL: frozenset[str] = frozenset({"completed", "failed", "refunded", "expired"})

# The timestamp column each arrival stamps, where there is one.
_STAMPS = {"paid": "paid_at", "processing": "started_at", "completed": "completed_at"}


class IllegalTransition(Exception):
    """The order cannot move from its current status to the one asked for."""


class OrderNotFound(LookupError):
    pass


# (db, order row after the change, from_status, to_status) -> None; runs inside the transaction.
TransitionHook = Callable[[sqlite_utils.Database, dict, str, str], None]
_hooks: list[TransitionHook] = []


def on_transition(hook: TransitionHook) -> TransitionHook:
    """Register `hook` (once) to run after every transition, in the transaction that made it."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def hooks() -> tuple[TransitionHook, ...]:
    return tuple(_hooks)


def new_public_id() -> str:
    # 128 bits from the OS: unguessable, so the id in every order URL is the capability.
    return secrets.token_urlsafe(16)


def create_order(db: sqlite_utils.Database, order_input: OrderInput, tier: Tier) -> dict:
    """Create the order, `payment_pending`, for the customer with this email.

    The order keeps its own contact snapshot (the form's answers in `input_json`: name,
    email, company). A new email makes a new customer with these details; an existing
    customer's profile is never changed here, because the form is open to anyone who
    types an address: only the account page, signed in, changes a profile.
    """
    with store.transaction(db):
        customer_id = store.customers.upsert(
            db, email=order_input.email, name=order_input.contact_name,
            company_name=order_input.company_name, company_website=order_input.company_website,
            industry=order_input.industry, company_size=order_input.company_size,
            refresh=False,
        )
        order_id = store.orders.insert(
            db, public_id=new_public_id(),
            order_number=store.orders.next_order_number(db, clock.now().year),
            customer_id=customer_id, tier=tier.name, amount_cents=tier.price_cents,
            currency="usd", input_json=order_input.model_dump_json(),
        )
        store.orders.add_event(db, order_id, None, "payment_pending", "order placed")
        order = store.orders.get(db, order_id)
    assert order is not None
    return order


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, frozenset())


def transition(db: sqlite_utils.Database, order_id: int, to_status: Status, *,
               reason: str = "", fields: dict | None = None,
               expect: str | None = None) -> dict:
    """Move the order to `to_status`, or raise IllegalTransition. Returns the updated row.

    Runs in the caller's transaction when there is one (so it can be atomic with, say, a
    payment update), else in its own. `expect` additionally requires the current status.
    """
    if db.conn.in_transaction:
        return _transition(db, order_id, to_status, reason, fields, expect)
    with store.transaction(db):
        return _transition(db, order_id, to_status, reason, fields, expect)


def _transition(db: sqlite_utils.Database, order_id: int, to_status: str, reason: str,
                fields: dict | None, expect: str | None) -> dict:
    order = store.orders.get(db, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    current = order["status"]
    if expect is not None and current != expect:
        raise IllegalTransition(f"order {order['order_number']} is {current}, expected {expect}")
    if not can_transition(current, to_status):
        raise IllegalTransition(f"order {order['order_number']} cannot go {current} → {to_status}")
    fields = dict(fields or {})
    if to_status in _STAMPS:
        fields.setdefault(_STAMPS[to_status], clock.now_iso())
    if not store.orders.set_status(db, order_id, from_status=current, to_status=to_status,
                                   fields=fields):
        # Only possible without a write lock held; the caller's transaction normally has it.
        raise IllegalTransition(f"order {order['order_number']} changed under us")
    store.orders.add_event(db, order_id, current, to_status, reason)
    updated = store.orders.get(db, order_id)
    assert updated is not None
    log.info("order %s: %s → %s %s", order["order_number"], current, to_status, reason)
    for hook in _hooks:
        hook(db, updated, current, to_status)
    return updated


# What the customer's status page says while the order is held.
HOLD_LABEL = ("Waiting for our AI provider: your order is safe and continues automatically "
              "as soon as it is back")


def hold(db: sqlite_utils.Database, order_id: int, reason: str) -> bool:
    """Hold a paid or processing order (in the caller's transaction). False if it is neither."""
    order = store.orders.get(db, order_id)
    if order is None or not store.orders.hold(db, order_id, reason=reason[:500],
                                              label=HOLD_LABEL):
        return False
    if order["held_at"] is None:
        store.orders.add_event(db, order_id, order["status"], order["status"],
                               f"held: {reason}"[:500])
        log.warning("order %s: held (%s)", order["order_number"], reason)
    return True


def release_hold(db: sqlite_utils.Database, order_id: int, reason: str) -> bool:
    """Let a held order go on (the caller queues it). False if it was not held."""
    order = store.orders.get(db, order_id)
    if order is None or not store.orders.release_hold(db, order_id):
        return False
    store.orders.add_event(db, order_id, order["status"], order["status"],
                           f"released: {reason}"[:500])
    return True


def order_input_of(order: dict) -> OrderInput:
    return OrderInput.model_validate(json.loads(order["input_json"]))

