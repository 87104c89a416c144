"""The refunds table: written before Stripe is called, claimed per attempt.
"""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one, inserted_id


def insert(db: sqlite_utils.Database, **fields: object) -> int:
    now = now_iso()
    row = {"created_at": now, "updated_at": now} | fields
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    cursor = db.conn.execute(f"INSERT INTO refunds ({columns}) VALUES ({placeholders})", row)  # noqa: S608 - column names are ours
    return inserted_id(cursor)


def get(db: sqlite_utils.Database, refund_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM refunds WHERE id = ?", [refund_id])


def live_for_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    """The order's refund that is waiting, under way, done or stuck (at most one; the
    automatic refund of a duplicate payment is not the order's refund)."""
    return fetch_one(db, "SELECT * FROM refunds WHERE order_id = ? AND status IN"
                    " ('pending_review', 'processing', 'succeeded', 'failed')"
                    " AND kind != 'duplicate_payment'", [order_id])


def by_provider_id(db: sqlite_utils.Database, provider_refund_id: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM refunds WHERE provider_refund_id = ?",
                     [provider_refund_id])


def for_duplicate_payment(db: sqlite_utils.Database, payment_id: int) -> dict | None:
    """The automatic refund of a second payment for an already-paid order."""
    return fetch_one(db, "SELECT * FROM refunds WHERE payment_id = ?"
                         " AND kind = 'duplicate_payment'", [payment_id])


def for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return fetch_all(db, "SELECT * FROM refunds WHERE order_id = ? ORDER BY id", [order_id])


def count_for_customer(db: sqlite_utils.Database, customer_id: int, *,
                           other_than_order: int) -> int:
    """Refunds the customer asked for on other orders (denied ones do not count)."""
    row = fetch_one(db, "SELECT count(*) AS n FROM refunds WHERE customer_id = ? AND order_id != ?"
                   " AND kind = 'customer_request' AND status != 'denied'",
               [customer_id, other_than_order])
    return int(row["n"]) if row else 0


def update(db: sqlite_utils.Database, refund_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE refunds SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": refund_id})


def claim_attempt(db: sqlite_utils.Database, refund_id: int, *, now: str,
                         provider: str) -> dict | None:
    """Count an attempt at a `processing` refund; the row, or None when it is not processing."""
    cursor = db.conn.execute(
        "UPDATE refunds SET attempts = attempts + 1, last_attempt_at = ?, provider = ?,"
        " updated_at = ? WHERE id = ? AND status = 'processing' RETURNING *",
        (now, provider, now, refund_id))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def to_retry(db: sqlite_utils.Database, *, attempted_before: str,
                     limit: int = 50) -> list[int]:
    """Approved refunds nobody is working on: never attempted, or last tried a while ago."""
    rows = db.conn.execute(
        "SELECT id FROM refunds WHERE status = 'processing'"
        " AND (last_attempt_at IS NULL OR last_attempt_at < ?) ORDER BY id LIMIT ?",
        (attempted_before, limit)).fetchall()
    return [row[0] for row in rows]


def awaiting_review(db: sqlite_utils.Database) -> list[dict]:
    return fetch_all(db, "SELECT r.*, o.order_number, o.public_id, o.tier, o.paid_at,"
                    " c.email AS customer_email FROM refunds r JOIN orders o ON o.id = r.order_id"
                    " LEFT JOIN customers c ON c.id = r.customer_id"
                    " WHERE r.status IN ('pending_review', 'failed') ORDER BY r.requested_at", [])
