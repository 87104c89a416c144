"""The one module that knows the data lives in SQLite: connections, transactions, migrations.

Every connection gets WAL, a busy timeout and foreign keys. Schema changes are the numbered
files in compass/migrations/, applied in order at process start-up (and by `compass migrate`).
Queries are parameterised; nothing in compass.store formats customer text into SQL.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import sqlite_utils

from compass.clock import now_iso

BUSY_TIMEOUT_MS = 5_000


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the database with the pragmas every process must use."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we say BEGIN ourselves, so a transaction is never opened by
    # surprise and held across an await (Litestream and huey both suffer from long ones).
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. On a new file several processes starting at once race to switch it,
    and the switch answers "database is locked" at once instead of waiting on the busy
    handler; so wait here, as long as the busy timeout. (Once a file is WAL the pragma is
    a read that never fails.)"""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextmanager
def transaction(db: sqlite_utils.Database, *, immediate: bool = True) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead
    of one failing half-way with "database is locked".
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        db.__dict__.pop(_AFTER_COMMIT, None)
        raise
    else:
        conn.execute("COMMIT")
        _run_after_commit(db)


_AFTER_COMMIT = "_compass_after_commit"


def after_commit(db: sqlite_utils.Database, callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits; at once when there is none.

    For work that must not happen unless the data it announces is durable, such as putting
    a job on the queue. Dropped on rollback. A failing callback is logged, not raised: the
    transaction has committed, and the data it wrote is what a sweeper recovers from.
    """
    if not db.conn.in_transaction:
        _call_logged(callback)
        return
    db.__dict__.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(db: sqlite_utils.Database) -> None:
    for callback in db.__dict__.pop(_AFTER_COMMIT, []):
        _call_logged(callback)


def _call_logged(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        logging.getLogger(__name__).exception("after-commit callback %r failed", callback)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("compass.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def _statements(sql: str) -> Iterator[str]:
    # sqlite3.complete_statement understands trigger bodies, so this splits where SQLite would.
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")


def applied_versions(db: sqlite_utils.Database) -> set[int]:
    if not db["schema_migrations"].exists():
        return set()
    return {row[0] for row in db.execute("SELECT version FROM schema_migrations")}


def migrate(db: sqlite_utils.Database) -> list[Migration]:
    """Apply pending migrations, each in its own transaction. Safe to run from two processes."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied = []
    for migration in available_migrations():
        with transaction(db):
            # Re-checked under the write lock: another process may have just applied it.
            if migration.version in applied_versions(db):
                continue
            for statement in _statements(migration.sql):
                db.conn.execute(statement)
            db.conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, now_iso()),
            )
        applied.append(migration)
    return applied


def pending_migrations(db: sqlite_utils.Database) -> list[Migration]:
    done = applied_versions(db)
    return [m for m in available_migrations() if m.version not in done]


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Connect and bring the schema up to date: what every process does at start-up."""
    db = connect(path)
    migrate(db)
    return db


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT just made (an INSERT always makes one, or raises)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def fetch_one(db: sqlite_utils.Database, sql: str, params: list | dict) -> dict | None:
    # Straight to sqlite3: this sits under the status endpoints every open page polls.
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def fetch_all(db: sqlite_utils.Database, sql: str, params: list | dict) -> list[dict]:
    return list(db.query(sql, params))


# A plain read-only connection, for readers outside the store to hold and hand back to it.
ReadOnly = sqlite3.Connection


def open_readonly(path: str | Path, *, timeout: float = 10) -> ReadOnly:
    """A read-only plain connection (metrics scrapes, backup checks): never takes a lock
    that would make a writer wait, and waits at most `timeout` seconds itself."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout,
                           isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return conn


def open_for_checks(path: str | Path) -> sqlite_utils.Database:
    """Its own connection with a short busy timeout: a readiness check must answer, not queue."""
    conn = sqlite3.connect(path, timeout=1.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 1000")
    return sqlite_utils.Database(conn)


def can_write(db: sqlite_utils.Database) -> None:
    """Take and drop the write lock; raises on a read-only file or a stuck writer (after the
    busy timeout). Writes nothing Litestream would have to ship."""
    db.conn.execute("BEGIN IMMEDIATE")
    db.conn.execute("ROLLBACK")
