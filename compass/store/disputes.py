"""Disputes: one row per Stripe dispute (charge.dispute.* events), and the open ones."""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one


def get(db: sqlite_utils.Database, stripe_dispute_id: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM disputes WHERE stripe_dispute_id = ?",
                     [stripe_dispute_id])


def upsert(db: sqlite_utils.Database, **fields: object) -> None:
    """Insert the dispute, or update it by its Stripe id (events arrive in any order)."""
    now = now_iso()
    row = {"created_at": now, "updated_at": now} | fields
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    updates = ", ".join(f"{name} = excluded.{name}" for name in fields
                        if name != "stripe_dispute_id")
    db.conn.execute(
        f"INSERT INTO disputes ({columns}) VALUES ({placeholders})"  # noqa: S608 - column names are ours
        f" ON CONFLICT(stripe_dispute_id) DO UPDATE SET {updates}, updated_at = :updated_at", row)


def for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return fetch_all(db, "SELECT * FROM disputes WHERE order_id = ? ORDER BY id", [order_id])


def open_ones(db: sqlite_utils.Database) -> list[dict]:
    """Disputes not closed yet, soonest evidence deadline first (the open_disputes view)."""
    return fetch_all(db, "SELECT * FROM open_disputes", [])
