"""The operator's reads: the figures behind /admin, the daily summary and the CLI.

Read-only queries across orders, order_events, ai_calls, emails and the operator views
(migration 004/005). Windows are half-open UTC intervals [since, until) of stored times.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from compass.store.sqlite import fetch_all, fetch_one


def paid_by_tier(db: sqlite_utils.Database, window: dict[str, str]) -> list[dict]:
    """Orders paid in the window and what they were charged (net of discounts), per tier."""
    return fetch_all(db, "SELECT tier, count(*) AS n,"
                         " coalesce(sum(amount_cents - discount_cents), 0) AS cents"
                         " FROM orders WHERE paid_at >= :since AND paid_at < :until"
                         " GROUP BY tier", window)


def refunded(db: sqlite_utils.Database, window: dict[str, str]) -> tuple[int, int]:
    """Orders refunded in the window, and their amounts in cents."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(o.amount_cents - o.discount_cents), 0)"
        " FROM order_events e"
        " JOIN orders o ON o.id = e.order_id WHERE e.to_status = 'refunded'"
        " AND e.created_at >= :since AND e.created_at < :until", window).fetchone()
    return int(row[0]), int(row[1])


def refunded_by_tier(db: sqlite_utils.Database, window: dict[str, str]) -> list[dict]:
    """Refunds made in the window and their amounts in cents, per tier."""
    return fetch_all(db, "SELECT o.tier, count(*) AS n,"
                         " coalesce(sum(o.amount_cents - o.discount_cents), 0) AS cents"
                         " FROM order_events e JOIN orders o ON o.id = e.order_id"
                         " WHERE e.to_status = 'refunded'"
                         " AND e.created_at >= :since AND e.created_at < :until"
                         " GROUP BY o.tier", window)


def finished(db: sqlite_utils.Database, window: dict[str, str]) -> tuple[int, int]:
    """Orders completed and failed in the window."""
    row = db.execute(
        "SELECT count(*) FILTER (WHERE to_status = 'completed'),"
        " count(*) FILTER (WHERE to_status = 'failed') FROM order_events"
        " WHERE created_at >= :since AND created_at < :until", window).fetchone()
    return int(row[0]), int(row[1])


def failed_after_review(db: sqlite_utils.Database, window: dict[str, str]) -> int:
    """Orders failed in the window that reached the quality review (a review call answered):
    the failures QA is answerable for; an outage or a broken step never reached it."""
    row = db.execute(
        "SELECT count(DISTINCT e.order_id) FROM order_events e WHERE e.to_status = 'failed'"
        " AND e.created_at >= :since AND e.created_at < :until AND EXISTS (SELECT 1"
        "   FROM ai_calls a WHERE a.order_id = e.order_id AND a.phase = 'review'"
        "   AND a.status = 'ok')", window).fetchone()
    return int(row[0])


def failed_or_held(db: sqlite_utils.Database, window: dict[str, str]) -> list[dict]:
    """Orders held now (waiting for the AI service), and orders failed in the window with
    where they are now (failed, or refunded after failing), newest first."""
    return fetch_all(
        db, "SELECT o.order_number, o.public_id, o.tier, o.status, o.held_at AS at,"
            " o.hold_reason AS reason, 'held' AS what FROM orders o"
            " WHERE o.held_at IS NOT NULL AND o.status IN ('paid', 'processing')"
            " UNION ALL"
            " SELECT o.order_number, o.public_id, o.tier, o.status, e.created_at AS at,"
            " o.failure_reason AS reason,"
            " CASE o.status WHEN 'refunded' THEN 'refunded after failure' ELSE 'failed' END"
            " AS what FROM order_events e JOIN orders o ON o.id = e.order_id"
            " WHERE e.to_status = 'failed' AND e.created_at >= :since"
            " AND e.created_at < :until ORDER BY at DESC", window)


def paid_and_completed_times(db: sqlite_utils.Database,
                             window: dict[str, str]) -> list[tuple[str, str]]:
    """(paid_at, completed_at) of the orders completed in the window."""
    return [(paid, done) for paid, done in db.execute(
        "SELECT paid_at, completed_at FROM orders WHERE completed_at >= :since"
        " AND completed_at < :until AND paid_at IS NOT NULL", window)]


def ai_cost_by_tier(db: sqlite_utils.Database, window: dict[str, str]) -> list[dict]:
    """Model spend in the window (micro-dollars), per tier of the order it was for."""
    return fetch_all(db, "SELECT o.tier, coalesce(sum(a.cost_microusd), 0) AS micro"
                         " FROM ai_calls a JOIN orders o ON o.id = a.order_id"
                         " WHERE a.created_at >= :since AND a.created_at < :until"
                         " GROUP BY o.tier", window)


def email_failures(db: sqlite_utils.Database, window: dict[str, str]) -> int:
    row = fetch_one(db, "SELECT count(*) AS n FROM emails WHERE status = 'failed'"
                        " AND updated_at >= :since AND updated_at < :until", window)
    return int(row["n"]) if row else 0


def revenue_by_day(db: sqlite_utils.Database, since_day: str) -> list[dict]:
    return fetch_all(db, "SELECT day, orders, net_cents FROM revenue_by_day WHERE day >= ?",
                     [since_day])


def ai_cost_by_day(db: sqlite_utils.Database, since_day: str) -> list[tuple[str, int]]:
    return [(day, micro) for day, micro in db.execute(
        "SELECT substr(created_at, 1, 10) AS day, sum(cost_microusd) FROM ai_calls"
        " WHERE created_at >= ? GROUP BY day", [since_day])]


def orders_needing_attention(db: sqlite_utils.Database) -> list[dict]:
    return fetch_all(db, "SELECT * FROM orders_needing_attention", [])


def refund_queue(db: sqlite_utils.Database) -> list[dict]:
    """Refunds waiting for a person, or stuck (the refund_queue view)."""
    return fetch_all(db, "SELECT q.*, c.email AS customer_email FROM refund_queue q"
                         " JOIN refunds r ON r.id = q.id"
                         " LEFT JOIN customers c ON c.id = r.customer_id"
                         " ORDER BY q.requested_at", [])


def duplicate_payments(db: sqlite_utils.Database, *, since: str) -> list[dict]:
    """Orders paid twice (the duplicate_payments view) updated since `since`, or whose
    automatic refund has not succeeded yet."""
    return fetch_all(db, "SELECT * FROM duplicate_payments WHERE updated_at >= ?"
                         " OR coalesce(refund_status, '') != 'succeeded'", [since])


def paid_after_expiry(db: sqlite_utils.Database, *, since: str) -> list[dict]:
    """Orders paid after they had expired: revived since `since`, or still expired with a
    succeeded payment (nothing to run: a person refunds)."""
    return fetch_all(
        db,
        "SELECT o.order_number, o.status, e.created_at AS at, 'revived' AS outcome"
        " FROM order_events e JOIN orders o ON o.id = e.order_id"
        " WHERE e.from_status = 'expired' AND e.to_status = 'paid' AND e.created_at >= ?"
        " UNION ALL"
        " SELECT o.order_number, o.status, p.updated_at AS at, 'needs a person' AS outcome"
        " FROM orders o JOIN payments p ON p.order_id = o.id"
        " WHERE o.status = 'expired' AND p.status = 'succeeded' ORDER BY at", [since])


def emails_needing_attention(db: sqlite_utils.Database) -> list[dict]:
    return fetch_all(db, "SELECT * FROM emails_needing_attention", [])


def order_detail(db: sqlite_utils.Database, order: dict) -> dict[str, Any]:
    """The rows behind one order's admin page: customer, events, calls, payments, emails,
    refunds (the model's answers left out: they are large and in the ledger)."""
    order_id = [order["id"]]
    return {
        "customer": fetch_one(db, "SELECT * FROM customers WHERE id = ?",
                              [order.get("customer_id")]),
        "events": fetch_all(db, "SELECT * FROM order_events WHERE order_id = ? ORDER BY id",
                            order_id),
        "ai_calls": fetch_all(
            db, "SELECT id, phase, attempt, retry, perspective, model, status, stop_reason,"
                " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,"
                " cost_microusd, latency_ms, error, created_at FROM ai_calls WHERE order_id = ?"
                " ORDER BY id", order_id),
        "payments": fetch_all(db, "SELECT * FROM payments WHERE order_id = ? ORDER BY id",
                              order_id),
        "emails": fetch_all(
            db, "SELECT id, kind, to_address, status, attempts, last_error, sent_at,"
                " created_at, updated_at FROM emails WHERE order_id = ? ORDER BY id", order_id),
        "refunds": fetch_all(db, "SELECT * FROM refunds WHERE order_id = ? ORDER BY id",
                             order_id),
        "disputes": fetch_all(db, "SELECT * FROM disputes WHERE order_id = ? ORDER BY id",
                              order_id),
    }


def search_orders(db: sqlite_utils.Database, query: str, *, status: str | None,
                  limit: int) -> list[dict]:
    """Orders by number, public id, email or company (case-insensitive), newest first."""
    pattern = f"%{query.strip().lower()}%"
    return fetch_all(
        db, "SELECT o.id, o.public_id, o.order_number, o.tier, o.status, o.amount_cents,"
            " o.created_at, o.paid_at, o.completed_at, c.email, c.company_name"
            " FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
            " WHERE (:q = '%%' OR lower(o.order_number) LIKE :q OR o.public_id = :raw"
            "        OR c.email LIKE :q OR lower(c.company_name) LIKE :q)"
            " AND (:status IS NULL OR o.status = :status)"
            " ORDER BY o.id DESC LIMIT :limit",
        {"q": pattern, "raw": query.strip(), "status": status, "limit": limit})


def find_order(db: sqlite_utils.Database, reference: str) -> dict | None:
    """An order by its number (ORD-…), public id, or numeric id."""
    reference = reference.strip()
    for column in ("order_number", "public_id"):
        row = fetch_one(db, f"SELECT * FROM orders WHERE {column} = ?", [reference])  # noqa: S608 - column names are ours
        if row is not None:
            return row
    if reference.isdigit():
        return fetch_one(db, "SELECT * FROM orders WHERE id = ?", [int(reference)])
    return None


# -- CSV export: one period's rows, as the operator's accountant wants them ----------------------

EXPORT_QUERIES: dict[str, str] = {
    # Orders placed in the period (any status), with who and what they paid.
    "orders": (
        "SELECT o.order_number, o.status, o.tier, o.amount_cents, o.discount_cents, o.currency,"
        " o.created_at, o.paid_at, o.completed_at, c.email AS customer_email,"
        " c.company_name FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
        " WHERE o.created_at >= :since AND o.created_at < :until ORDER BY o.created_at"),
    # Payments made in the period (checkouts that never completed are left out).
    "payments": (
        "SELECT o.order_number, p.provider, p.payment_intent_id, p.checkout_session_id,"
        " p.status, p.amount_cents, p.currency, p.created_at, o.paid_at"
        " FROM payments p JOIN orders o ON o.id = p.order_id"
        " WHERE p.status IN ('succeeded', 'refunded') AND coalesce(o.paid_at, p.created_at)"
        " >= :since AND coalesce(o.paid_at, p.created_at) < :until ORDER BY p.created_at"),
    # Refunds asked for in the period, whatever became of them.
    "refunds": (
        "SELECT o.order_number, r.kind, r.status, r.amount_cents, r.currency, r.reason,"
        " r.requested_by, r.requested_at, r.decided_by, r.decided_at, r.provider_refund_id,"
        " r.completed_at FROM refunds r JOIN orders o ON o.id = r.order_id"
        " WHERE r.requested_at >= :since AND r.requested_at < :until ORDER BY r.requested_at"),
}


def export_rows(db: sqlite_utils.Database, kind: str, window: dict[str, str]
                ) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one export; KeyError for an unknown kind."""
    cursor = db.execute(EXPORT_QUERIES[kind], window)
    return [column[0] for column in cursor.description], cursor.fetchall()
