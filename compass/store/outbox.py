"""The outbox: jobs a committed transaction asked for and that may not be queued yet."""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, inserted_id


def add(db: sqlite_utils.Database, job: str, args_json: str) -> int:
    cursor = db.conn.execute(
        "INSERT INTO outbox (job, args_json, created_at) VALUES (?, ?, ?)",
        (job, args_json, now_iso()))
    return inserted_id(cursor)


def remove(db: sqlite_utils.Database, outbox_id: int) -> None:
    """The job is on the queue (one statement: commits by itself outside a transaction)."""
    db.conn.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))


def older_than(db: sqlite_utils.Database, moment: str, limit: int = 200) -> list[dict]:
    """Rows written before `moment`: their process died before queueing the job."""
    return fetch_all(db, "SELECT * FROM outbox WHERE created_at < ? ORDER BY id LIMIT ?",
                     [moment, limit])
