"""The revisions table: premium revisions, claimed by the worker that runs them.
"""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one, inserted_id


def insert(db: sqlite_utils.Database, *, order_id: int, number: int, notes: str,
                    base_result_json: str) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO revisions (order_id, number, notes, status, base_result_json, requested_at,"
        " updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
        (order_id, number, notes, base_result_json, now, now))
    return inserted_id(cursor)


def get(db: sqlite_utils.Database, revision_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM revisions WHERE id = ?", [revision_id])


def for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return fetch_all(db, "SELECT * FROM revisions WHERE order_id = ? ORDER BY number", [order_id])


def claim(db: sqlite_utils.Database, revision_id: int, *, now: str,
                   stale_before: str) -> bool:
    """queued → running, or take over a run whose worker went quiet before `stale_before`."""
    cursor = db.conn.execute(
        "UPDATE revisions SET status = 'running', started_at = ?, updated_at = ? WHERE id = ?"
        " AND (status = 'queued' OR (status = 'running' AND updated_at < ?))",
        (now, now, revision_id, stale_before))
    return cursor.rowcount == 1


def update(db: sqlite_utils.Database, revision_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE revisions SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": revision_id})


def to_resume(db: sqlite_utils.Database, *, stale_before: str) -> list[int]:
    rows = db.conn.execute(
        "SELECT id FROM revisions WHERE status IN ('queued', 'running') AND updated_at < ?"
        " ORDER BY id", (stale_before,)).fetchall()
    return [row[0] for row in rows]
