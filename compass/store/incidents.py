"""The ai_incidents table: outages of the model API on our side (compass.outage)."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one, inserted_id


def open_incident(db: sqlite_utils.Database) -> dict | None:
    return fetch_one(db, "SELECT * FROM ai_incidents WHERE closed_at IS NULL", [])


def insert(db: sqlite_utils.Database, *, kind: str, status: int | None, message: str,
           model: str | None) -> int | None:
    """A new open incident, or None when one is already open (the unique index decides)."""
    try:
        cursor = db.conn.execute(
            "INSERT INTO ai_incidents (kind, status, message, model, opened_at)"
            " VALUES (?, ?, ?, ?, ?)", (kind, status, message, model, now_iso()))
    except sqlite3.IntegrityError:
        return None
    return inserted_id(cursor)


def record_probe(db: sqlite_utils.Database, incident_id: int, error: str | None) -> None:
    db.conn.execute(
        "UPDATE ai_incidents SET probes = probes + 1, last_probe_at = ?, last_probe_error = ?"
        " WHERE id = ?", (now_iso(), error, incident_id))


def close(db: sqlite_utils.Database, incident_id: int) -> bool:
    cursor = db.conn.execute(
        "UPDATE ai_incidents SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
        (now_iso(), incident_id))
    return cursor.rowcount == 1


def recent(db: sqlite_utils.Database, *, since: str) -> list[dict]:
    return fetch_all(db, "SELECT * FROM ai_incidents WHERE closed_at IS NULL OR closed_at >= ?"
                         " ORDER BY id DESC", [since])
