"""The report_versions table: every rendered report PDF, and which one the order serves.
"""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_one


def next_version(db: sqlite_utils.Database, order_id: int) -> int:
    row = fetch_one(db, "SELECT coalesce(max(version), 0) + 1 AS v FROM report_versions"
                   " WHERE order_id = ?", [order_id])
    return int(row["v"]) if row else 1


def insert_version(db: sqlite_utils.Database, *, order_id: int, version: int,
                          pdf_path: str, pdf_bytes: int, pages: int | None,
                          render_seconds: float) -> None:
    """Record a rendered PDF and make it the one the order serves."""
    now = now_iso()
    db.conn.execute(
        "INSERT INTO report_versions (order_id, version, pdf_path, pdf_bytes, pages,"
        " render_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (order_id, version, pdf_path, pdf_bytes, pages, round(render_seconds, 4), now),
    )
    db.conn.execute("UPDATE orders SET report_pdf_path = ?, report_version = ? WHERE id = ?",
                    (pdf_path, version, order_id))


def versions(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM report_versions WHERE order_id = ? ORDER BY version",
                         [order_id]))
