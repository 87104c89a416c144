"""The business numbers /metrics reports, read at scrape time.

Plain sqlite3 on a read-only connection of its own (`sqlite.open_readonly`): a scrape must
never take a write lock or wait long, and it may come before the first migration ran.
"""

from __future__ import annotations

import sqlite3


def relations(conn: sqlite3.Connection) -> set[str]:
    """The tables and views present (the scrape may come before the migrations)."""
    return {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def orders_by_status_and_tier(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    return conn.execute("SELECT status, tier, count(*) FROM orders GROUP BY status, tier"
                        ).fetchall()


def paid_cents_by_tier(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    # What was charged: the price less any discount.
    return conn.execute("SELECT tier, coalesce(sum(amount_cents - discount_cents), 0) FROM orders"
                        " WHERE paid_at IS NOT NULL GROUP BY tier").fetchall()


def orders_needing_attention(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM orders_needing_attention").fetchone()[0])


def ai_call_totals(conn: sqlite3.Connection) -> list[tuple]:
    """(model, status, calls, input, output, cache read, cache write tokens, micro-dollars,
    latency ms) per model and outcome."""
    return conn.execute(
        "SELECT model, status, count(*), sum(input_tokens), sum(output_tokens),"
        " sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_microusd),"
        " sum(latency_ms) FROM ai_calls GROUP BY model, status").fetchall()


def emails_by_kind_and_status(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    return conn.execute("SELECT kind, status, count(*) FROM emails GROUP BY kind, status"
                        ).fetchall()


def ai_outage(conn: sqlite3.Connection) -> tuple[int, int]:
    """(1 if an AI service incident is open else 0, orders held waiting for it)."""
    open_now = conn.execute("SELECT count(*) FROM ai_incidents WHERE closed_at IS NULL"
                            ).fetchone()[0]
    held = conn.execute("SELECT count(*) FROM orders WHERE held_at IS NOT NULL"
                        " AND status IN ('paid', 'processing')").fetchone()[0]
    return int(open_now), int(held)
