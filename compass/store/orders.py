"""Orders: the orders table, order_events and phase_durations.

Status changes are compare-and-set (`update_order_status`); leases are claims with an
expiry (`take_order_lease`). compass.lifecycle is the only caller that changes a status.
"""

from __future__ import annotations

import time

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one, inserted_id


def next_order_number(db: sqlite_utils.Database, year: int) -> str:
    """ORD-YYYY-NNNNNN, counting up within the year. Call inside a write transaction."""
    prefix = f"ORD-{year:04d}-"
    row = fetch_one(db, "SELECT max(CAST(substr(order_number, 10) AS INTEGER)) AS n FROM orders"
                   " WHERE order_number LIKE ?", [prefix + "%"])
    return f"{prefix}{(row['n'] or 0) + 1:06d}"  # type: ignore[index]


def insert(db: sqlite_utils.Database, *, public_id: str, order_number: str,
                 customer_id: int, tier: str, amount_cents: int, currency: str,
                 input_json: str) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO orders (public_id, order_number, customer_id, tier, status, amount_cents,"
        " currency, input_json, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'payment_pending', ?, ?, ?, ?, ?)",
        (public_id, order_number, customer_id, tier, amount_cents, currency, input_json, now, now),
    )
    return inserted_id(cursor)


def get(db: sqlite_utils.Database, order_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM orders WHERE id = ?", [order_id])


def by_public_id(db: sqlite_utils.Database, public_id: str) -> dict | None:
    return fetch_one(db, "SELECT * FROM orders WHERE public_id = ?", [public_id])


# What the status views need: never the customer's answers or the (large) report.
_STATUS_COLUMNS = ("id, public_id, order_number, tier, status, amount_cents, currency,"
                   " progress_percent, phase, phase_label, phase_started_at, created_at,"
                   " updated_at, paid_at, completed_at, held_at, failure_reason, ai_retry_at,"
                   " result_json IS NOT NULL AS has_result")


_STATUS_CACHE = "_compass_status_rows"
_STATUS_CACHE_SIZE = 4096
_DATA_VERSION = "_compass_data_version"
# Other processes' commits are looked for at most this often (the PRAGMA was the largest
# cost left in a poll); this connection's own writes are seen at once.
STATUS_RECHECK_SECONDS = 0.1


def _data_version(db: sqlite_utils.Database) -> int:
    now = time.monotonic()
    checked = db.__dict__.get(_DATA_VERSION)
    if checked is None or now - checked[0] >= STATUS_RECHECK_SECONDS:
        checked = db.__dict__[_DATA_VERSION] = (
            now, db.conn.execute("PRAGMA data_version").fetchone()[0])
    return checked[1]


def status_view(db: sqlite_utils.Database, public_id: str) -> dict | None:
    """The status columns of one order, read again only when the database has changed.

    Every open status page polls this every 2 s, while a row changes a few times a minute.
    `PRAGMA data_version` moves when another connection (the worker) commits and
    `total_changes` when this one writes; read before the row, so a cached row is never
    older than the version it is filed under. Another process's write shows within
    STATUS_RECHECK_SECONDS (a page polls every 2 s).
    """
    version = (_data_version(db), db.conn.total_changes)
    cache = db.__dict__.get(_STATUS_CACHE)
    if cache is None or cache[0] != version or len(cache[1]) > _STATUS_CACHE_SIZE:
        cache = db.__dict__[_STATUS_CACHE] = (version, {})
    rows: dict[str, dict | None] = cache[1]
    if public_id not in rows:
        rows[public_id] = fetch_one(
            db, f"SELECT {_STATUS_COLUMNS} FROM orders WHERE public_id = ?",  # noqa: S608
            [public_id])
    row = rows[public_id]
    return dict(row) if row is not None else None


def set_status(db: sqlite_utils.Database, order_id: int, *, from_status: str,
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


def add_event(db: sqlite_utils.Database, order_id: int, from_status: str | None,
                       to_status: str, reason: str = "") -> None:
    db.conn.execute(
        "INSERT INTO order_events (order_id, from_status, to_status, reason, created_at)"
        " VALUES (?, ?, ?, ?, ?)", (order_id, from_status, to_status, reason, now_iso()),
    )


def events(db: sqlite_utils.Database, order_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM order_events WHERE order_id = ? ORDER BY id", [order_id]))


def take_lease(db: sqlite_utils.Database, order_id: int, owner: str, *, now: str,
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


def renew_lease(db: sqlite_utils.Database, order_id: int, owner: str, *,
                expires_at: str) -> bool:
    """Extend `owner`'s lease, compare-and-set: False when the order is no longer its own
    (another worker took it, or it left `processing`). Never takes a lease."""
    cursor = db.conn.execute(
        "UPDATE orders SET lease_expires_at = ? WHERE id = ? AND lease_owner = ?"
        " AND status = 'processing'", (expires_at, order_id, owner))
    return cursor.rowcount == 1


def wait_for_ai(db: sqlite_utils.Database, order_id: int, owner: str, *, since: str,
                retries: int, retry_at: str, label: str) -> bool:
    """`owner` gives the order back to wait out a model outage (compare-and-set on the
    lease): still `processing`, with when it started waiting and when it tries again."""
    cursor = db.conn.execute(
        "UPDATE orders SET ai_wait_since = ?, ai_wait_retries = ?, ai_retry_at = ?,"
        " phase_label = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?"
        " WHERE id = ? AND lease_owner = ? AND status = 'processing'",
        (since, retries, retry_at, label, now_iso(), order_id, owner))
    return cursor.rowcount == 1


def release_lease(db: sqlite_utils.Database, order_id: int, owner: str) -> None:
    db.conn.execute(
        "UPDATE orders SET lease_owner = NULL, lease_expires_at = NULL"
        " WHERE id = ? AND lease_owner = ?", (order_id, owner),
    )


def hold(db: sqlite_utils.Database, order_id: int, *, reason: str, label: str) -> bool:
    """Mark a paid or processing order held (waiting for the model API); its lease is freed."""
    cursor = db.conn.execute(
        "UPDATE orders SET held_at = coalesce(held_at, ?), hold_reason = ?, phase_label = ?,"
        " lease_owner = NULL, lease_expires_at = NULL, updated_at = ?"
        " WHERE id = ? AND status IN ('paid', 'processing')",
        (now_iso(), reason, label, now_iso(), order_id))
    return cursor.rowcount == 1


def held(db: sqlite_utils.Database) -> list[dict]:
    return fetch_all(db, "SELECT * FROM orders WHERE held_at IS NOT NULL"
                         " AND status IN ('paid', 'processing') ORDER BY id", [])


def release_hold(db: sqlite_utils.Database, order_id: int) -> bool:
    cursor = db.conn.execute(
        "UPDATE orders SET held_at = NULL, hold_reason = NULL, updated_at = ?"
        " WHERE id = ? AND held_at IS NOT NULL", (now_iso(), order_id))
    return cursor.rowcount == 1


def write_progress(db: sqlite_utils.Database, order_id: int, owner: str, *,
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


def latest_event(db: sqlite_utils.Database, order_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM order_events WHERE order_id = ? ORDER BY id DESC LIMIT 1",
                     [order_id])


# What the download endpoint needs, by primary-key-like lookup: never the (large) result.
_DOWNLOAD_COLUMNS = ("id, public_id, order_number, tier, status, amount_cents, discount_cents,"
                     " currency,"
                     " report_pdf_path, report_version, downloads_count, last_downloaded_at,"
                     " updated_at")


def download_view(db: sqlite_utils.Database, public_id: str) -> dict | None:
    return fetch_one(db, f"SELECT {_DOWNLOAD_COLUMNS} FROM orders WHERE public_id = ?",  # noqa: S608
                     [public_id])


def record_download(db: sqlite_utils.Database, order_id: int) -> None:
    db.conn.execute("UPDATE orders SET downloads_count = downloads_count + 1,"
                    " last_downloaded_at = ? WHERE id = ?", (now_iso(), order_id))


# What the dashboard lists: never the customer's answers or the (large) report.
_DASHBOARD_COLUMNS = ("o.id, o.public_id, o.order_number, o.tier, o.status, o.amount_cents,"
                      " o.discount_cents,"
                      " o.currency, o.created_at, o.paid_at, o.completed_at, o.downloads_count,"
                      " o.result_json IS NOT NULL AS has_result")


def for_customer(db: sqlite_utils.Database, customer_id: int) -> list[dict]:
    """The customer's orders, newest first, each with its latest refund and revision state."""
    return fetch_all(db, f"SELECT {_DASHBOARD_COLUMNS},"  # noqa: S608 - column names are ours
                    " (SELECT r.status FROM refunds r WHERE r.order_id = o.id"
                    "  ORDER BY r.id DESC LIMIT 1) AS refund_status,"
                    " (SELECT count(*) FROM revisions v WHERE v.order_id = o.id"
                    "  AND v.status = 'completed') AS revisions_completed,"
                    " (SELECT v.status FROM revisions v WHERE v.order_id = o.id"
                    "  ORDER BY v.id DESC LIMIT 1) AS revision_status"
                    " FROM orders o WHERE o.customer_id = ? AND o.paid_at IS NOT NULL"
                    " ORDER BY o.id DESC", [customer_id])


def latest_for_customer(db: sqlite_utils.Database, customer_id: int) -> dict | None:
    """The customer's latest paid order (an unpaid one may be anyone's typing)."""
    return fetch_one(db, "SELECT * FROM orders WHERE customer_id = ? AND paid_at IS NOT NULL"
                         " ORDER BY id DESC LIMIT 1", [customer_id])


def set_dispute_status(db: sqlite_utils.Database, order_id: int, status: str) -> None:
    """The order's latest dispute status (a mark beside its status, which it does not change)."""
    db.conn.execute("UPDATE orders SET dispute_status = ?, updated_at = ? WHERE id = ?",
                    (status, now_iso(), order_id))


def set_result(db: sqlite_utils.Database, order_id: int, result_json: str) -> None:
    """Replace a completed order's report (a revision): not a status change."""
    db.conn.execute("UPDATE orders SET result_json = ?, updated_at = ? WHERE id = ?",
                    (result_json, now_iso(), order_id))


# -- what the reconciler looks for (read-only; changes go through compass.lifecycle) -------

def orphaned(db: sqlite_utils.Database, *, now: str, quiet_since: str) -> list[dict]:
    """paid or processing, with no live lease, untouched since `quiet_since`."""
    return fetch_all(
        db, "SELECT id, public_id, order_number, tier, status, lease_owner, lease_expires_at"
            " FROM orders WHERE status IN ('paid', 'processing') AND held_at IS NULL"
            " AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < :now)"
            " AND updated_at < :quiet ORDER BY id",
        {"now": now, "quiet": quiet_since})


def abandoned_checkouts(db: sqlite_utils.Database, *, before: str) -> list[dict]:
    """payment_pending since before `before`, with no payment under way or newer session."""
    return fetch_all(
        db, "SELECT o.id, o.order_number FROM orders o WHERE o.status = 'payment_pending'"
            " AND o.created_at < :before AND NOT EXISTS (SELECT 1 FROM payments p"
            "   WHERE p.order_id = o.id AND (p.status IN ('processing', 'succeeded')"
            "        OR p.created_at >= :before)) ORDER BY o.id", {"before": before})


def undelivered_without_email(db: sqlite_utils.Database, *, tier: str, paid_before: str,
                              kind: str) -> list[dict]:
    """Paid orders of `tier`, not delivered, paid before `paid_before`, with no `kind` email."""
    return fetch_all(
        db, "SELECT * FROM orders o WHERE o.tier = :tier AND o.status IN ('paid', 'processing')"
            " AND o.paid_at < :cutoff AND NOT EXISTS (SELECT 1 FROM emails e"
            "   WHERE e.order_id = o.id AND e.kind = :kind) ORDER BY o.id",
        {"tier": tier, "cutoff": paid_before, "kind": kind})


def leased(db: sqlite_utils.Database, *, owner_prefix: str = "",
           runnable_only: bool = False) -> list[dict]:
    """Orders under a lease whose owner starts with `owner_prefix` (paid or processing ones
    only, with `runnable_only`)."""
    return fetch_all(
        db, "SELECT id, order_number, lease_owner FROM orders WHERE lease_owner IS NOT NULL"
            " AND substr(lease_owner, 1, :n) = :prefix"
            " AND (NOT :runnable OR status IN ('paid', 'processing'))",
        {"n": len(owner_prefix), "prefix": owner_prefix, "runnable": runnable_only})
