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
    """UTC now as ISO-8601 with a Z suffix: the format of every stored time."""
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


def reusable_response(db: sqlite_utils.Database, run_id: str, request_hash: str,
                      attempt: int) -> dict | None:
    """The newest successful call of this run and QA attempt with the very same request.

    This is the resume checkpoint: a run restarted after a crash asks for identical
    requests and gets their stored answers instead of paying for them again. The attempt
    is part of the key because a QA revision must get a fresh answer even when it happens
    to send the same request as the rejected attempt did.
    """
    rows = list(db.query(
        "SELECT * FROM ai_calls WHERE run_id = ? AND request_hash = ? AND attempt = ?"
        " AND status = 'ok' ORDER BY id DESC LIMIT 1",
        [run_id, request_hash, attempt],
    ))
    return rows[0] if rows else None


def ai_calls_for_run(db: sqlite_utils.Database, run_id: str) -> list[dict]:
    return list(db.query("SELECT * FROM ai_calls WHERE run_id = ? ORDER BY id", [run_id]))


# -- orders, payments and the web (issue 3: the paid-order spine) ---------------------------
# Plain parameterised queries; callers decide the transaction boundaries (compass.lifecycle,
# compass.payments, jobs). Rows come back as dicts.

def _one(db: sqlite_utils.Database, sql: str, params: list | dict) -> dict | None:
    # Straight to sqlite3: this sits under the status endpoints every open page polls.
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def upsert_customer(db: sqlite_utils.Database, *, email: str, name: str, company_name: str,
                    company_website: str, industry: str, company_size: str) -> int:
    """The customer with this (lower-cased) email, created or refreshed with the latest details."""
    now = now_iso()
    db.conn.execute(
        "INSERT INTO customers (email, name, company_name, company_website, industry,"
        " company_size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(email) DO UPDATE SET name = excluded.name,"
        " company_name = excluded.company_name, company_website = excluded.company_website,"
        " industry = excluded.industry, company_size = excluded.company_size,"
        " updated_at = excluded.updated_at",
        (email.lower(), name, company_name, company_website, industry, company_size, now, now),
    )
    row = _one(db, "SELECT id FROM customers WHERE email = ?", [email.lower()])
    assert row is not None
    return int(row["id"])


def next_order_number(db: sqlite_utils.Database, year: int) -> str:
    """ORD-YYYY-NNNNNN, counting up within the year. Call inside a write transaction."""
    prefix = f"ORD-{year:04d}-"
    row = _one(db, "SELECT max(CAST(substr(order_number, 10) AS INTEGER)) AS n FROM orders"
                   " WHERE order_number LIKE ?", [prefix + "%"])
    return f"{prefix}{(row['n'] or 0) + 1:06d}"  # type: ignore[index]


def insert_order(db: sqlite_utils.Database, *, public_id: str, order_number: str,
                 customer_id: int, tier: str, amount_cents: int, currency: str,
                 input_json: str) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO orders (public_id, order_number, customer_id, tier, status, amount_cents,"
        " currency, input_json, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'payment_pending', ?, ?, ?, ?, ?)",
        (public_id, order_number, customer_id, tier, amount_cents, currency, input_json, now, now),
    )
    return int(cursor.lastrowid)


def get_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    return _one(db, "SELECT * FROM orders WHERE id = ?", [order_id])


def get_order_by_public_id(db: sqlite_utils.Database, public_id: str) -> dict | None:
    return _one(db, "SELECT * FROM orders WHERE public_id = ?", [public_id])


# What the status views need: never the customer's answers or the (large) report.
_STATUS_COLUMNS = ("id, public_id, order_number, tier, status, amount_cents, currency,"
                   " progress_percent, phase, phase_label, phase_started_at, created_at,"
                   " updated_at, paid_at, completed_at, result_json IS NOT NULL AS has_result")


def get_order_status(db: sqlite_utils.Database, public_id: str) -> dict | None:
    return _one(db, f"SELECT {_STATUS_COLUMNS} FROM orders WHERE public_id = ?",  # noqa: S608
                [public_id])


def get_customer(db: sqlite_utils.Database, customer_id: int) -> dict | None:
    return _one(db, "SELECT * FROM customers WHERE id = ?", [customer_id])


def update_order_status(db: sqlite_utils.Database, order_id: int, *, from_status: str,
                        to_status: str, fields: dict | None = None) -> bool:
    """Compare-and-set the status (and any extra columns); False when it was not `from_status`."""
    fields = dict(fields or {})
    fields["status"] = to_status
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    cursor = db.conn.execute(
        f"UPDATE orders SET {assignments} WHERE id = :_id AND status = :_from",  # noqa: S608 - column names are ours
        fields | {"_id": order_id, "_from": from_status},
    )
    return cursor.rowcount == 1


def insert_order_event(db: sqlite_utils.Database, order_id: int, from_status: str | None,
                       to_status: str, reason: str = "") -> None:
    db.conn.execute(
        "INSERT INTO order_events (order_id, from_status, to_status, reason, created_at)"
        " VALUES (?, ?, ?, ?, ?)", (order_id, from_status, to_status, reason, now_iso()),
    )


def order_events(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM order_events WHERE order_id = ? ORDER BY id", [order_id]))


# payments

def insert_payment(db: sqlite_utils.Database, *, order_id: int, provider: str,
                   checkout_session_id: str, checkout_url: str, amount_cents: int,
                   currency: str, expires_at: str | None) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO payments (order_id, provider, checkout_session_id, checkout_url,"
        " amount_cents, currency, status, expires_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        (order_id, provider, checkout_session_id, checkout_url, amount_cents, currency,
         expires_at, now, now),
    )
    return int(cursor.lastrowid)


def get_payment_by_session(db: sqlite_utils.Database, session_id: str) -> dict | None:
    return _one(db, "SELECT * FROM payments WHERE checkout_session_id = ?", [session_id])


def get_payment_by_intent(db: sqlite_utils.Database, payment_intent_id: str) -> dict | None:
    return _one(db, "SELECT * FROM payments WHERE payment_intent_id = ? ORDER BY id DESC LIMIT 1",
                [payment_intent_id])


def payments_for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM payments WHERE order_id = ? ORDER BY id", [order_id]))


def update_payment(db: sqlite_utils.Database, payment_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE payments SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": payment_id})


def record_stripe_event(db: sqlite_utils.Database, *, event_id: str, event_type: str,
                        payload: str) -> bool:
    """Remember the event id; False when it was already recorded (a redelivery)."""
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO stripe_events (id, type, outcome, payload, received_at)"
        " VALUES (?, ?, 'received', ?, ?)", (event_id, event_type, payload, now_iso()),
    )
    return cursor.rowcount == 1


def set_stripe_event_outcome(db: sqlite_utils.Database, event_id: str, outcome: str,
                             order_id: int | None) -> None:
    db.conn.execute("UPDATE stripe_events SET outcome = ?, order_id = ? WHERE id = ?",
                    (outcome, order_id, event_id))


def get_stripe_event(db: sqlite_utils.Database, event_id: str) -> dict | None:
    return _one(db, "SELECT * FROM stripe_events WHERE id = ?", [event_id])


# dev checkout (stands in for Stripe's own storage of sessions)

def put_dev_session(db: sqlite_utils.Database, session_id: str, session_json: str) -> None:
    now = now_iso()
    db.conn.execute(
        "INSERT INTO dev_checkout_sessions (id, session_json, created_at, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
        " session_json = excluded.session_json, updated_at = excluded.updated_at",
        (session_id, session_json, now, now),
    )


def get_dev_session(db: sqlite_utils.Database, session_id: str) -> str | None:
    row = _one(db, "SELECT session_json FROM dev_checkout_sessions WHERE id = ?", [session_id])
    return row["session_json"] if row else None


# rate limits

def count_rate_limit_hits(db: sqlite_utils.Database, bucket: str, key: str, since: str) -> int:
    row = _one(db, "SELECT count(*) AS n FROM rate_limit_hits WHERE bucket = ? AND key = ?"
                   " AND at > ?", [bucket, key, since])
    return int(row["n"]) if row else 0


def add_rate_limit_hit(db: sqlite_utils.Database, bucket: str, key: str, at: str) -> None:
    db.conn.execute("INSERT INTO rate_limit_hits (bucket, key, at) VALUES (?, ?, ?)",
                    (bucket, key, at))


def prune_rate_limit_hits(db: sqlite_utils.Database, before: str) -> None:
    db.conn.execute("DELETE FROM rate_limit_hits WHERE at <= ?", (before,))


# worker: leases, progress, results, measured durations

def take_order_lease(db: sqlite_utils.Database, order_id: int, owner: str, *, now: str,
                     expires_at: str) -> bool:
    """Claim the order for `owner` unless another live lease holds it. True when claimed."""
    cursor = db.conn.execute(
        "UPDATE orders SET lease_owner = ?, lease_expires_at = ?, updated_at = ?"
        " WHERE id = ? AND status IN ('paid', 'processing')"
        " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at IS NULL"
        "      OR lease_expires_at < ?)",
        (owner, expires_at, now, order_id, owner, now),
    )
    return cursor.rowcount == 1


def release_order_lease(db: sqlite_utils.Database, order_id: int, owner: str) -> None:
    db.conn.execute(
        "UPDATE orders SET lease_owner = NULL, lease_expires_at = NULL"
        " WHERE id = ? AND lease_owner = ?", (order_id, owner),
    )


def write_order_progress(db: sqlite_utils.Database, order_id: int, owner: str, *,
                         percent: int, phase: str, label: str, phase_started_at: str,
                         lease_expires_at: str) -> bool:
    """Progress, written only while `owner` still holds the lease (which it also renews)."""
    cursor = db.conn.execute(
        "UPDATE orders SET progress_percent = max(progress_percent, ?), phase = ?,"
        " phase_label = ?, phase_started_at = ?, lease_expires_at = ?, updated_at = ?"
        " WHERE id = ? AND lease_owner = ? AND status = 'processing'",
        (percent, phase, label, phase_started_at, lease_expires_at, now_iso(), order_id, owner),
    )
    return cursor.rowcount == 1


def insert_phase_durations(db: sqlite_utils.Database, order_id: int, tier: str,
                           durations: dict[str, float]) -> None:
    now = now_iso()
    db.conn.executemany(
        "INSERT INTO phase_durations (order_id, tier, phase, seconds, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(order_id, tier, phase, max(0.0, seconds), now) for phase, seconds in durations.items()],
    )


def latest_phase_duration_id(db: sqlite_utils.Database) -> int:
    """Changes whenever a run is measured: the cache key for estimates (an O(1) lookup)."""
    return int(db.conn.execute("SELECT coalesce(max(id), 0) FROM phase_durations").fetchone()[0])


def recent_phase_durations(db: sqlite_utils.Database, tier: str | None, *,
                           per_phase: int = 20) -> dict[str, float]:
    """Mean seconds per phase over the last `per_phase` completed runs (of `tier`, or all)."""
    rows = db.query(
        "SELECT phase, avg(seconds) AS seconds FROM ("
        "  SELECT phase, seconds, row_number() OVER (PARTITION BY phase ORDER BY id DESC) AS n"
        "  FROM phase_durations WHERE ? IS NULL OR tier = ?"
        ") WHERE n <= ? GROUP BY phase", [tier, tier, per_phase],
    )
    return {row["phase"]: float(row["seconds"]) for row in rows}
