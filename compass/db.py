"""The one module that knows the data lives in SQLite.

Every connection gets WAL, a busy timeout and foreign keys. Schema changes are the numbered
files in compass/migrations/, applied in order at start-up (and by `compass migrate`).
Queries are parameterised; nothing here formats customer text into SQL.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 5_000


def iso(moment: dt.datetime) -> str:
    """A UTC moment as ISO-8601 with a Z suffix: the format of every stored time."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(dt.datetime.now(dt.UTC))


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


# -- delivery: report PDFs, downloads and emails (issue 4) ----------------------------------
# Callers own the transactions: compass.notifications (email rows, in the transition's own
# transaction), jobs.emails (claim and record a send), compass.documents (report versions).

def latest_order_event(db: sqlite_utils.Database, order_id: int) -> dict | None:
    return _one(db, "SELECT * FROM order_events WHERE order_id = ? ORDER BY id DESC LIMIT 1",
                [order_id])


def paid_payment_for_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    """The payment that paid the order (succeeded, or refunded since)."""
    return _one(db, "SELECT * FROM payments WHERE order_id = ? AND status IN"
                    " ('succeeded', 'refunded') ORDER BY id DESC LIMIT 1", [order_id])


def insert_email(db: sqlite_utils.Database, *, order_id: int | None, kind: str,
                 dedupe_key: str | None, to_address: str, subject: str, context_json: str,
                 message_id: str) -> int | None:
    """The new email's id, or None when this order and kind (or dedupe key) already has one."""
    now = now_iso()
    # ON CONFLICT DO NOTHING covers the UNIQUE constraints only; a bad kind still raises.
    cursor = db.conn.execute(
        "INSERT INTO emails (order_id, kind, dedupe_key, to_address, subject, context_json,"
        " message_id, status, attempts, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING",
        (order_id, kind, dedupe_key, to_address, subject, context_json, message_id, now, now),
    )
    return int(cursor.lastrowid) if cursor.rowcount == 1 else None


def get_email(db: sqlite_utils.Database, email_id: int) -> dict | None:
    return _one(db, "SELECT * FROM emails WHERE id = ?", [email_id])


def emails_for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM emails WHERE order_id = ? ORDER BY id", [order_id]))


def claim_email(db: sqlite_utils.Database, email_id: int, *, now: str, stale_before: str,
                max_attempts: int) -> dict | None:
    """Mark the email `sending` and count the attempt; None when it is not ours to send.

    Claimable: pending with attempts left, or stuck in `sending` since before
    `stale_before` (its worker died mid-send). Sent and failed emails never are.
    """
    cursor = db.conn.execute(
        "UPDATE emails SET status = 'sending', attempts = attempts + 1, claimed_at = ?,"
        " updated_at = ? WHERE id = ? AND attempts < ? AND (status = 'pending'"
        " OR (status = 'sending' AND claimed_at < ?)) RETURNING *",
        (now, now, email_id, max_attempts, stale_before),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def mark_email_sent(db: sqlite_utils.Database, email_id: int, *, clear_context: bool) -> None:
    now = now_iso()
    db.conn.execute(
        "UPDATE emails SET status = 'sent', sent_at = ?, updated_at = ?, last_error = NULL,"
        " context_json = CASE WHEN ? THEN '{}' ELSE context_json END WHERE id = ?",
        (now, now, clear_context, email_id),
    )


def mark_email_failed(db: sqlite_utils.Database, email_id: int, error: str, *,
                      final: bool) -> None:
    """Record a failed attempt: back to `pending` for a retry, or `failed` for good."""
    db.conn.execute(
        "UPDATE emails SET status = ?, last_error = ?, updated_at = ? WHERE id = ?",
        ("failed" if final else "pending", error[:2000], now_iso(), email_id),
    )


def emails_to_resume(db: sqlite_utils.Database, *, pending_before: str, sending_before: str,
                     max_attempts: int, limit: int = 100) -> list[int]:
    """Emails whose wake-up call was lost: pending for a while, or stuck mid-send."""
    rows = db.conn.execute(
        "SELECT id FROM emails WHERE attempts < ? AND ((status = 'pending' AND updated_at < ?)"
        " OR (status = 'sending' AND claimed_at < ?)) ORDER BY id LIMIT ?",
        (max_attempts, pending_before, sending_before, limit),
    ).fetchall()
    return [row[0] for row in rows]


def next_report_version(db: sqlite_utils.Database, order_id: int) -> int:
    row = _one(db, "SELECT coalesce(max(version), 0) + 1 AS v FROM report_versions"
                   " WHERE order_id = ?", [order_id])
    return int(row["v"]) if row else 1


def insert_report_version(db: sqlite_utils.Database, *, order_id: int, version: int,
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


def report_versions(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM report_versions WHERE order_id = ? ORDER BY version",
                         [order_id]))


# What the download endpoint needs, by primary-key-like lookup: never the (large) result.
_DOWNLOAD_COLUMNS = ("id, public_id, order_number, tier, status, amount_cents, currency,"
                     " report_pdf_path, report_version, downloads_count, last_downloaded_at,"
                     " updated_at")


def get_order_download(db: sqlite_utils.Database, public_id: str) -> dict | None:
    return _one(db, f"SELECT {_DOWNLOAD_COLUMNS} FROM orders WHERE public_id = ?",  # noqa: S608
                [public_id])


def record_download(db: sqlite_utils.Database, order_id: int) -> None:
    db.conn.execute("UPDATE orders SET downloads_count = downloads_count + 1,"
                    " last_downloaded_at = ? WHERE id = ?", (now_iso(), order_id))


# -- accounts, refunds and revisions (issue 5) ------------------------------------------------
# Callers own the transactions: compass.accounts (links, sessions, the account page),
# compass.refunds (the refund row is written before Stripe is called), compass.revisions.

def _all(db: sqlite_utils.Database, sql: str, params: list | dict) -> list[dict]:
    return list(db.query(sql, params))


def customer_by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    """A live (not deleted) customer with this lower-cased email."""
    return _one(db, "SELECT * FROM customers WHERE email = ? AND deleted_at IS NULL",
                [email.lower()])


def insert_login_token(db: sqlite_utils.Database, *, token_hash: str, purpose: str, email: str,
                       customer_id: int | None, created_at: str, expires_at: str) -> int:
    cursor = db.conn.execute(
        "INSERT INTO login_tokens (token_hash, purpose, email, customer_id, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, purpose, email, customer_id, created_at, expires_at),
    )
    return int(cursor.lastrowid)


def get_login_token(db: sqlite_utils.Database, token_hash: str) -> dict | None:
    return _one(db, "SELECT * FROM login_tokens WHERE token_hash = ?", [token_hash])


def use_login_token(db: sqlite_utils.Database, token_id: int, used_at: str) -> bool:
    """Mark the link used; False when it already was (it works once)."""
    cursor = db.conn.execute("UPDATE login_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL",
                             (used_at, token_id))
    return cursor.rowcount == 1


def prune_login_tokens(db: sqlite_utils.Database, expired_before: str) -> None:
    db.conn.execute("DELETE FROM login_tokens WHERE expires_at < ?", (expired_before,))


def insert_session(db: sqlite_utils.Database, *, token_hash: str, customer_id: int | None,
                   email: str, now: str, expires_at: str) -> int:
    cursor = db.conn.execute(
        "INSERT INTO sessions (token_hash, customer_id, email, created_at, last_seen_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, customer_id, email, now, now, expires_at),
    )
    return int(cursor.lastrowid)


def get_session(db: sqlite_utils.Database, token_hash: str) -> dict | None:
    return _one(db, "SELECT * FROM sessions WHERE token_hash = ?", [token_hash])


def touch_session(db: sqlite_utils.Database, session_id: int, *, now: str,
                  expires_at: str) -> None:
    db.conn.execute("UPDATE sessions SET last_seen_at = ?, expires_at = ?"
                    " WHERE id = ? AND revoked_at IS NULL", (now, expires_at, session_id))


def revoke_session(db: sqlite_utils.Database, token_hash: str, now: str) -> None:
    db.conn.execute("UPDATE sessions SET revoked_at = ? WHERE token_hash = ?"
                    " AND revoked_at IS NULL", (now, token_hash))


def revoke_customer_sessions(db: sqlite_utils.Database, customer_id: int, now: str) -> None:
    db.conn.execute("UPDATE sessions SET revoked_at = ? WHERE customer_id = ?"
                    " AND revoked_at IS NULL", (now, customer_id))


def prune_sessions(db: sqlite_utils.Database, before: str) -> None:
    db.conn.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?",
                    (before, before))


_PROFILE_COLUMNS = frozenset({"name", "company_name", "company_website", "industry",
                              "company_size"})


def update_customer_profile(db: sqlite_utils.Database, customer_id: int, **fields: str) -> None:
    unknown = set(fields) - _PROFILE_COLUMNS
    if unknown:
        raise ValueError(f"not profile columns: {sorted(unknown)}")
    fields_ = dict(fields) | {"updated_at": now_iso()}
    assignments = ", ".join(f"{name} = :{name}" for name in fields_)
    db.conn.execute(f"UPDATE customers SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields_ | {"_id": customer_id})


def change_customer_email(db: sqlite_utils.Database, customer_id: int, email: str) -> bool:
    """Give the customer a new (lower-cased) email; False when another customer has it."""
    email = email.lower()
    taken = _one(db, "SELECT id FROM customers WHERE email = ? AND id != ?", [email, customer_id])
    if taken is not None:
        return False
    db.conn.execute("UPDATE customers SET email = ?, updated_at = ? WHERE id = ?",
                    (email, now_iso(), customer_id))
    db.conn.execute("UPDATE sessions SET email = ? WHERE customer_id = ?", (email, customer_id))
    return True


# What the dashboard lists: never the customer's answers or the (large) report.
_DASHBOARD_COLUMNS = ("o.id, o.public_id, o.order_number, o.tier, o.status, o.amount_cents,"
                      " o.currency, o.created_at, o.paid_at, o.completed_at, o.downloads_count,"
                      " o.result_json IS NOT NULL AS has_result")


def orders_for_customer(db: sqlite_utils.Database, customer_id: int) -> list[dict]:
    """The customer's orders, newest first, each with its latest refund and revision state."""
    return _all(db, f"SELECT {_DASHBOARD_COLUMNS},"  # noqa: S608 - column names are ours
                    " (SELECT r.status FROM refunds r WHERE r.order_id = o.id"
                    "  ORDER BY r.id DESC LIMIT 1) AS refund_status,"
                    " (SELECT count(*) FROM revisions v WHERE v.order_id = o.id"
                    "  AND v.status = 'completed') AS revisions_completed,"
                    " (SELECT v.status FROM revisions v WHERE v.order_id = o.id"
                    "  ORDER BY v.id DESC LIMIT 1) AS revision_status"
                    " FROM orders o WHERE o.customer_id = ? ORDER BY o.id DESC", [customer_id])


def latest_order_for_customer(db: sqlite_utils.Database, customer_id: int) -> dict | None:
    return _one(db, "SELECT * FROM orders WHERE customer_id = ? ORDER BY id DESC LIMIT 1",
                [customer_id])


def customer_export(db: sqlite_utils.Database, customer_id: int) -> dict[str, list[dict]]:
    """Every row we hold about the customer, table by table (the data export)."""
    return {
        "orders": _all(db, "SELECT public_id, order_number, tier, status, amount_cents,"
                           " currency, input_json, result_json, created_at, paid_at,"
                           " completed_at, failure_reason, downloads_count, last_downloaded_at"
                           " FROM orders WHERE customer_id = ? ORDER BY id", [customer_id]),
        "payments": _all(db, "SELECT o.order_number, p.provider, p.payment_intent_id,"
                             " p.amount_cents, p.currency, p.status, p.created_at"
                             " FROM payments p JOIN orders o ON o.id = p.order_id"
                             " WHERE o.customer_id = ? ORDER BY p.id", [customer_id]),
        "refunds": _all(db, "SELECT o.order_number, r.kind, r.status, r.amount_cents,"
                            " r.currency, r.reason, r.requested_at, r.completed_at"
                            " FROM refunds r JOIN orders o ON o.id = r.order_id"
                            " WHERE o.customer_id = ? ORDER BY r.id", [customer_id]),
        "revisions": _all(db, "SELECT o.order_number, v.number, v.notes, v.status,"
                              " v.requested_at, v.completed_at FROM revisions v"
                              " JOIN orders o ON o.id = v.order_id WHERE o.customer_id = ?"
                              " ORDER BY v.id", [customer_id]),
        "emails": _all(db, "SELECT o.order_number, e.kind, e.to_address, e.subject, e.status,"
                           " e.created_at, e.sent_at FROM emails e"
                           " LEFT JOIN orders o ON o.id = e.order_id"
                           " WHERE o.customer_id = ? ORDER BY e.id", [customer_id]),
        "sessions": _all(db, "SELECT created_at, last_seen_at, expires_at, revoked_at"
                             " FROM sessions WHERE customer_id = ? ORDER BY id", [customer_id]),
    }


def anonymise_customer(db: sqlite_utils.Database, customer_id: int, *, placeholder_email: str,
                       order_input_json: str, now: str) -> list[str]:
    """Erase the customer's personal data, keeping orders, payments and refunds as records.

    Returns the stored report PDF paths of the customer's orders (the caller deletes the
    files). Call inside a write transaction.
    """
    old = _one(db, "SELECT email FROM customers WHERE id = ?", [customer_id])
    pdfs = [row["pdf_path"] for row in db.query(
        "SELECT pdf_path FROM report_versions WHERE order_id IN"
        " (SELECT id FROM orders WHERE customer_id = ?)",
        [customer_id])]
    db.conn.execute(
        "UPDATE customers SET email = ?, name = '', company_name = '', company_website = '',"
        " industry = '', company_size = '', deleted_at = ?, updated_at = ? WHERE id = ?",
        (placeholder_email, now, now, customer_id))
    db.conn.execute(
        "UPDATE orders SET input_json = ?, result_json = NULL, failure_reason = NULL,"
        " report_pdf_path = NULL, updated_at = ? WHERE customer_id = ?",
        (order_input_json, now, customer_id))
    db.conn.execute("UPDATE ai_calls SET response_text = NULL WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)",
                    (customer_id,))
    db.conn.execute("UPDATE refunds SET reason = '' WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)",
                    (customer_id,))
    db.conn.execute("UPDATE revisions SET notes = '', base_result_json = '{}',"
                    " result_json = NULL WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)", (customer_id,))
    db.conn.execute("UPDATE emails SET to_address = ?, context_json = '{}' WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = ?)",
                    (placeholder_email, customer_id))
    db.conn.execute("DELETE FROM sessions WHERE customer_id = ?", (customer_id,))
    if old is not None:
        db.conn.execute("DELETE FROM login_tokens WHERE customer_id = ? OR email = ?",
                        (customer_id, old["email"]))
        db.conn.execute("DELETE FROM rate_limit_hits WHERE key = ?", (old["email"],))
        db.conn.execute("UPDATE emails SET to_address = ?, context_json = '{}'"
                        " WHERE to_address = ?", (placeholder_email, old["email"]))
    return pdfs


# refunds

def get_payment(db: sqlite_utils.Database, payment_id: int) -> dict | None:
    return _one(db, "SELECT * FROM payments WHERE id = ?", [payment_id])


def insert_refund(db: sqlite_utils.Database, **fields: object) -> int:
    now = now_iso()
    row = {"created_at": now, "updated_at": now} | fields
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    cursor = db.conn.execute(f"INSERT INTO refunds ({columns}) VALUES ({placeholders})", row)  # noqa: S608 - column names are ours
    return int(cursor.lastrowid)


def get_refund(db: sqlite_utils.Database, refund_id: int) -> dict | None:
    return _one(db, "SELECT * FROM refunds WHERE id = ?", [refund_id])


def live_refund_for_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    """The order's refund that is waiting, under way, done or stuck (at most one)."""
    return _one(db, "SELECT * FROM refunds WHERE order_id = ? AND status IN"
                    " ('pending_review', 'processing', 'succeeded', 'failed')", [order_id])


def refunds_for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return _all(db, "SELECT * FROM refunds WHERE order_id = ? ORDER BY id", [order_id])


def count_customer_refunds(db: sqlite_utils.Database, customer_id: int, *,
                           other_than_order: int) -> int:
    """Refunds the customer asked for on other orders (denied ones do not count)."""
    row = _one(db, "SELECT count(*) AS n FROM refunds WHERE customer_id = ? AND order_id != ?"
                   " AND kind = 'customer_request' AND status != 'denied'",
               [customer_id, other_than_order])
    return int(row["n"]) if row else 0


def update_refund(db: sqlite_utils.Database, refund_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE refunds SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": refund_id})


def claim_refund_attempt(db: sqlite_utils.Database, refund_id: int, *, now: str,
                         provider: str) -> dict | None:
    """Count an attempt at a `processing` refund; the row, or None when it is not processing."""
    cursor = db.conn.execute(
        "UPDATE refunds SET attempts = attempts + 1, last_attempt_at = ?, provider = ?,"
        " updated_at = ? WHERE id = ? AND status = 'processing' RETURNING *",
        (now, provider, now, refund_id))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def refunds_to_retry(db: sqlite_utils.Database, *, attempted_before: str,
                     limit: int = 50) -> list[int]:
    """Approved refunds nobody is working on: never attempted, or last tried a while ago."""
    rows = db.conn.execute(
        "SELECT id FROM refunds WHERE status = 'processing'"
        " AND (last_attempt_at IS NULL OR last_attempt_at < ?) ORDER BY id LIMIT ?",
        (attempted_before, limit)).fetchall()
    return [row[0] for row in rows]


def refunds_awaiting_review(db: sqlite_utils.Database) -> list[dict]:
    return _all(db, "SELECT r.*, o.order_number, o.public_id, o.tier, o.paid_at,"
                    " c.email AS customer_email FROM refunds r JOIN orders o ON o.id = r.order_id"
                    " LEFT JOIN customers c ON c.id = r.customer_id"
                    " WHERE r.status IN ('pending_review', 'failed') ORDER BY r.requested_at", [])


# revisions

def insert_revision(db: sqlite_utils.Database, *, order_id: int, number: int, notes: str,
                    base_result_json: str) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO revisions (order_id, number, notes, status, base_result_json, requested_at,"
        " updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
        (order_id, number, notes, base_result_json, now, now))
    return int(cursor.lastrowid)


def get_revision(db: sqlite_utils.Database, revision_id: int) -> dict | None:
    return _one(db, "SELECT * FROM revisions WHERE id = ?", [revision_id])


def revisions_for_order(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return _all(db, "SELECT * FROM revisions WHERE order_id = ? ORDER BY number", [order_id])


def claim_revision(db: sqlite_utils.Database, revision_id: int, *, now: str,
                   stale_before: str) -> bool:
    """queued → running, or take over a run whose worker went quiet before `stale_before`."""
    cursor = db.conn.execute(
        "UPDATE revisions SET status = 'running', started_at = ?, updated_at = ? WHERE id = ?"
        " AND (status = 'queued' OR (status = 'running' AND updated_at < ?))",
        (now, now, revision_id, stale_before))
    return cursor.rowcount == 1


def update_revision(db: sqlite_utils.Database, revision_id: int, **fields: object) -> None:
    fields["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    db.conn.execute(f"UPDATE revisions SET {assignments} WHERE id = :_id",  # noqa: S608 - column names are ours
                    fields | {"_id": revision_id})


def revisions_to_resume(db: sqlite_utils.Database, *, stale_before: str) -> list[int]:
    rows = db.conn.execute(
        "SELECT id FROM revisions WHERE status IN ('queued', 'running') AND updated_at < ?"
        " ORDER BY id", (stale_before,)).fetchall()
    return [row[0] for row in rows]


def set_order_result(db: sqlite_utils.Database, order_id: int, result_json: str) -> None:
    """Replace a completed order's report (a revision): not a status change."""
    db.conn.execute("UPDATE orders SET result_json = ?, updated_at = ? WHERE id = ?",
                    (result_json, now_iso(), order_id))
