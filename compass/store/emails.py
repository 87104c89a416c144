"""The emails table: one row per message, claimed before it is sent.
"""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_one, inserted_id


def insert(db: sqlite_utils.Database, *, order_id: int | None, kind: str,
                 dedupe_key: str | None, to_address: str, subject: str, context_json: str,
                 message_id: str) -> int | None:
    """The new email's id, or None when this order and kind (or dedupe key) already has one."""
    now = now_iso()
    # ON CONFLICT DO NOTHING covers the UNIQUE constraints only; a bad kind still raises.
    cursor = db.conn.execute(
        "INSERT INTO emails (order_id, kind, dedupe_key, to_address, subject, context_json,"
        " message_id, status, attempts, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING",
        (order_id, kind, dedupe_key, to_address, subject, context_json, message_id, now, now),
    )
    return inserted_id(cursor) if cursor.rowcount == 1 else None


def get(db: sqlite_utils.Database, email_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM emails WHERE id = ?", [email_id])


def claim(db: sqlite_utils.Database, email_id: int, *, now: str, stale_before: str,
                max_attempts: int) -> dict | None:
    """Mark the email `sending` and count the attempt; None when it is not ours to send.

    Claimable: pending with attempts left whose next attempt is due, or stuck in `sending`
    since before `stale_before` (its worker died mid-send). Sent and failed emails never
    are, and neither is one waiting for its retry (an early or duplicated job).
    """
    cursor = db.conn.execute(
        "UPDATE emails SET status = 'sending', attempts = attempts + 1, claimed_at = ?,"
        " updated_at = ? WHERE id = ? AND attempts < ? AND ((status = 'pending'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?))"
        " OR (status = 'sending' AND claimed_at < ?)) RETURNING *",
        (now, now, email_id, max_attempts, now, stale_before),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def mark_sent(db: sqlite_utils.Database, email_id: int, *, clear_context: bool) -> None:
    now = now_iso()
    db.conn.execute(
        "UPDATE emails SET status = 'sent', sent_at = ?, updated_at = ?, last_error = NULL,"
        " next_attempt_at = NULL,"
        " context_json = CASE WHEN ? THEN '{}' ELSE context_json END WHERE id = ?",
        (now, now, clear_context, email_id),
    )


def mark_failed(db: sqlite_utils.Database, email_id: int, error: str, *,
                final: bool, next_attempt_at: str | None = None) -> None:
    """Record a failed attempt: back to `pending` until `next_attempt_at`, or `failed`."""
    db.conn.execute(
        "UPDATE emails SET status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?"
        " WHERE id = ?",
        ("failed" if final else "pending", error[:2000], None if final else next_attempt_at,
         now_iso(), email_id),
    )


def to_resume(db: sqlite_utils.Database, *, now: str, pending_before: str,
              sending_before: str, max_attempts: int, limit: int = 100) -> list[int]:
    """Emails to (re)send now: a retry that fell due, a first attempt whose wake-up call was
    lost (pending since before `pending_before`), or one stuck mid-send."""
    rows = db.conn.execute(
        "SELECT id FROM emails WHERE attempts < ? AND ("
        " (status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?)"
        " OR (status = 'pending' AND next_attempt_at IS NULL AND updated_at < ?)"
        " OR (status = 'sending' AND claimed_at < ?)) ORDER BY id LIMIT ?",
        (max_attempts, now, pending_before, sending_before, limit),
    ).fetchall()
    return [row[0] for row in rows]


def waiting_for_server(db: sqlite_utils.Database, *, now: str, marker: str) -> list[int]:
    """Emails waiting for a later retry because no SMTP server answered (their last error
    starts with `marker`)."""
    rows = db.conn.execute(
        "SELECT id FROM emails WHERE status = 'pending' AND next_attempt_at > ?"
        " AND last_error LIKE ? || '%' ORDER BY id",
        (now, marker),
    ).fetchall()
    return [row[0] for row in rows]


def retry_now(db: sqlite_utils.Database, email_ids: list[int], *, now: str) -> None:
    """Bring these waiting emails' next attempt forward to `now`."""
    db.conn.executemany(
        "UPDATE emails SET next_attempt_at = ? WHERE id = ? AND status = 'pending'"
        " AND next_attempt_at > ?", [(now, email_id, now) for email_id in email_ids])


def late(db: sqlite_utils.Database, *, created_before: str, failed_since: str) -> dict:
    """Mail that is late: not sent and either a failed attempt behind it or older than
    `created_before`; and how many gave up since `failed_since`. Counts and the oldest."""
    row = fetch_one(
        db,
        "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')"
        "   AND (last_error IS NOT NULL OR created_at < :created_before)) AS late,"
        " min(created_at) FILTER (WHERE status IN ('pending', 'sending')"
        "   AND (last_error IS NOT NULL OR created_at < :created_before)) AS oldest,"
        " count(*) FILTER (WHERE status = 'failed' AND updated_at >= :failed_since) AS failed"
        " FROM emails WHERE status IN ('pending', 'sending')"
        " OR (status = 'failed' AND updated_at >= :failed_since)",
        {"created_before": created_before, "failed_since": failed_since})
    return row or {"late": 0, "oldest": None, "failed": 0}


def for_order_kind(db: sqlite_utils.Database, order_id: int, kind: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM emails WHERE order_id = ? AND kind = ?", [order_id, kind])


def reset_for_resend(db: sqlite_utils.Database, email_id: int, *, message_id: str) -> None:
    """Make the email pending again with fresh attempts and a new Message-ID (a resend)."""
    db.conn.execute(
        "UPDATE emails SET status = 'pending', attempts = 0, last_error = NULL,"
        " next_attempt_at = NULL, claimed_at = NULL, message_id = ?, updated_at = ? WHERE id = ?",
        (message_id, now_iso(), email_id))
