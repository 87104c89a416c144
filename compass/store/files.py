"""Whole SQLite files, table by table: what `compass backup-verify` compares between the
live database and a restored replica. Works on any of our files (compass.db, queue.db), so
it reads sqlite_master rather than knowing the tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_copy(path: Path) -> sqlite3.Connection:
    """A restored copy, ours to read and throw away."""
    return sqlite3.connect(path, isolation_level=None)


def integrity_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own verdict: ["ok"], or the problems it found."""
    return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def _tables(conn: sqlite3.Connection) -> list[str]:
    # Litestream's own bookkeeping tables are not ours to compare.
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\' ORDER BY name")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_STAMP_COLUMNS = ("created_at", "updated_at")


def snapshot_counts(conn: sqlite3.Connection) -> dict[str, tuple[int, dict[str, str | None]]]:
    """Rows and the newest value of each time column, per table, in one read transaction."""
    result: dict[str, tuple[int, dict[str, str | None]]] = {}
    conn.execute("BEGIN")
    try:
        for table in _tables(conn):
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}
            (count,) = conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()  # noqa: S608 - names from sqlite_master
            newest = {}
            for column in (c for c in _STAMP_COLUMNS if c in columns):
                (newest[column],) = conn.execute(
                    f"SELECT max({column}) FROM {_quote(table)}").fetchone()  # noqa: S608
            result[table] = (count, newest)
    finally:
        conn.execute("COMMIT")
    return result


def oldest_missing_write(conn: sqlite3.Connection, table: str, column: str,
                         replica_newest: str | None) -> str | None:
    """The oldest time in the live table later than anything the replica has: the start of
    the window a restore made now would lose."""
    if replica_newest is None:
        (value,) = conn.execute(f"SELECT min({column}) FROM {_quote(table)}").fetchone()  # noqa: S608
    else:
        (value,) = conn.execute(f"SELECT min({column}) FROM {_quote(table)} WHERE {column} > ?",  # noqa: S608
                                (replica_newest,)).fetchone()
    return value


def completed_orders(conn: sqlite3.Connection) -> list[dict]:
    """Every completed order of a restored compass.db (none when it has no orders table)."""
    if "orders" not in _tables(conn):
        return []
    cursor = conn.execute("SELECT * FROM orders WHERE status = 'completed' ORDER BY id")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
