"""The rate_limit_hits table: one row per counted request.
"""

from __future__ import annotations

import sqlite_utils

from compass.store.sqlite import fetch_one


def count_hits(db: sqlite_utils.Database, bucket: str, key: str, since: str) -> int:
    row = fetch_one(db, "SELECT count(*) AS n FROM rate_limit_hits WHERE bucket = ? AND key = ?"
                   " AND at > ?", [bucket, key, since])
    return int(row["n"]) if row else 0


def add_hit(db: sqlite_utils.Database, bucket: str, key: str, at: str) -> None:
    db.conn.execute("INSERT INTO rate_limit_hits (bucket, key, at) VALUES (?, ?, ?)",
                    (bucket, key, at))


def prune(db: sqlite_utils.Database, before: str) -> None:
    db.conn.execute("DELETE FROM rate_limit_hits WHERE at <= ?", (before,))
