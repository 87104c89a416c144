"""Payments: payments, stripe_events (idempotency) and dev_checkout_sessions.
"""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_one, inserted_id


def insert(db: sqlite_utils.Database, *, order_id: int, provider: str,
                   checkout_session_id: str, checkout_url: str, amount_cents: int,
                   currency: str, expires_at: str | None) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO payments (order_id, provider, checkout_session_id, checkout_url,"
        " amount_cents, currency, status, expires_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        (order_id, provider, checkout_session_id, checkout_url, amount_cents, currency,
         expires_at, now, now),
    )
    return inserted_id(cursor)


def by_session(db: sqlite_utils.Database, session_id: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM payments WHERE checkout_session_id = ?", [session_id])


def by_intent(db: sqlite_utils.Database, payment_intent_id: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM payments WHERE payment_intent_id = ?"
                         " ORDER BY id DESC LIMIT 1", [payment_intent_id])


def for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM payments WHERE order_id = ? ORDER BY id", [order_id]))


def update(db: sqlite_utils.Database, payment_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE payments SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": payment_id})


def record_stripe_event(db: sqlite_utils.Database, *, event_id: str, event_type: str,
                        payload: str) -> bool:
    """Remember the event id; False when it was already recorded (a redelivery)."""
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO stripe_events (id, type, outcome, payload, received_at)"
        " VALUES (?, ?, 'received', ?, ?)", (event_id, event_type, payload, now_iso()),
    )
    return cursor.rowcount == 1


def set_stripe_event_outcome(db: sqlite_utils.Database, event_id: str, outcome: str,
                             order_id: int | None) -> None:
    db.conn.execute("UPDATE stripe_events SET outcome = ?, order_id = ? WHERE id = ?",
                    (outcome, order_id, event_id))


def put_dev_session(db: sqlite_utils.Database, session_id: str, session_json: str) -> None:
    now = now_iso()
    db.conn.execute(
        "INSERT INTO dev_checkout_sessions (id, session_json, created_at, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
        " session_json = excluded.session_json, updated_at = excluded.updated_at",
        (session_id, session_json, now, now),
    )


def get_dev_session(db: sqlite_utils.Database, session_id: str) -> str | None:
    row = fetch_one(db, "SELECT session_json FROM dev_checkout_sessions WHERE id = ?", [session_id])
    return row["session_json"] if row else None


def paid_for_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    """The payment that paid the order (succeeded, or refunded since); never a second
    payment of an already-paid order (those are refunded on their own)."""
    return fetch_one(db, "SELECT * FROM payments WHERE order_id = ? AND status IN"
                    " ('succeeded', 'refunded') AND duplicate_of IS NULL"
                    " ORDER BY id LIMIT 1", [order_id])


# checkout_attempts: one row per Checkout Session asked for, written before asking

def insert_attempt(db: sqlite_utils.Database, *, order_id: int, provider: str,
                   key_prefix: str, params_json: str) -> dict:
    """The order's next attempt (numbered from 1), its key `<key_prefix>-<number>`."""
    now = now_iso()
    row = fetch_one(db, "SELECT coalesce(max(number), 0) + 1 AS n FROM checkout_attempts"
                        " WHERE order_id = ?", [order_id])
    number = int(row["n"]) if row else 1
    cursor = db.conn.execute(
        "INSERT INTO checkout_attempts (order_id, number, provider, idempotency_key,"
        " params_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (order_id, number, provider, f"{key_prefix}-{number}", params_json, now, now))
    found = fetch_one(db, "SELECT * FROM checkout_attempts WHERE id = ?", [cursor.lastrowid])
    assert found is not None
    return found


def unresolved_attempts(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    """Attempts still `creating`: in flight, or sent with the answer lost."""
    return list(db.query("SELECT * FROM checkout_attempts WHERE order_id = ?"
                         " AND status = 'creating' ORDER BY id", [order_id]))


def update_attempt(db: sqlite_utils.Database, attempt_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE checkout_attempts SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": attempt_id})


def get(db: sqlite_utils.Database, payment_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM payments WHERE id = ?", [payment_id])
