"""The one module that knows the data lives in SQLite.

Every connection gets WAL, a busy timeout and foreign keys. Schema changes are the numbered
files in compass/migrations/, applied in order at start-up (and by `compass migrate`).
Queries are parameterised; nothing here formats customer text into SQL.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 5_000


def now_iso() -> str:
    """UTC now as ISO-8601 with seconds precision and a Z suffix, the format of every stored time."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the database with the pragmas every process must use."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we say BEGIN ourselves, so a transaction is never opened by
    # surprise and held across an await (Litestream and huey both suffer from long ones).
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


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
        raise
    else:
        conn.execute("COMMIT")


# -- migrations ---------------------------------------------------------------------------

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


# -- the AI call ledger ---------------------------------------------------------------------

@dataclass
class AICall:
    run_id: str
    phase: str
    attempt: int
    retry: int
    perspective: str | None
    provider: str
    model: str
    request_hash: str
    status: str  # ok | invalid | error
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_microusd: int = 0
    latency_ms: int = 0
    error: str | None = None
    response_text: str | None = None
    order_id: int | None = None


def record_ai_call(db: sqlite_utils.Database, call: AICall) -> int:
    row = asdict(call) | {"created_at": now_iso()}
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    cursor = db.conn.execute(f"INSERT INTO ai_calls ({columns}) VALUES ({placeholders})", row)  # noqa: S608 - column names are ours
    return int(cursor.lastrowid)


def reusable_response(db: sqlite_utils.Database, run_id: str, request_hash: str) -> dict | None:
    """The newest successful call of this run with the very same request, if any.

    This is the resume checkpoint: a run restarted after a crash asks for identical
    requests and gets their stored answers instead of paying for them again.
    """
    rows = list(db.query(
        "SELECT * FROM ai_calls WHERE run_id = ? AND request_hash = ? AND status = 'ok'"
        " ORDER BY id DESC LIMIT 1",
        [run_id, request_hash],
    ))
    return rows[0] if rows else None


def ai_calls_for_run(db: sqlite_utils.Database, run_id: str) -> list[dict]:
    return list(db.query("SELECT * FROM ai_calls WHERE run_id = ? ORDER BY id", [run_id]))
