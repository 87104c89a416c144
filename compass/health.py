"""Is the machine ready to take orders? The checks behind /readyz.

- the database accepts a write lock (not read-only, not wedged by a long transaction) and
  its volume has room;
- every migration this code knows is applied;
- the queue file answers;
- the worker is alive: it rewrites a small heartbeat file every few seconds
  (jobs/reconciler.py), and a heartbeat older than HEARTBEAT_STALE_SECONDS means no
  worker is running — paid orders would wait.

A file rather than a row: the heartbeat should not make Litestream ship a transaction
every few seconds, and it says nothing worth restoring.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from compass import db as store
from compass.settings import Settings

HEARTBEAT_INTERVAL_SECONDS = 10.0
HEARTBEAT_STALE_SECONDS = 60.0
MIN_FREE_BYTES = 100 * 1024 * 1024


def heartbeat_path(settings: Settings) -> Path:
    return settings.COMPASS_DATA_DIR / "worker.heartbeat"


def write_heartbeat(path: Path, *, state: str = "running", **details: object) -> None:
    """Atomically replace the heartbeat file (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"state": state, "pid": os.getpid(), "host": socket.gethostname(),
               "at": time.time()} | details
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(payload))
    os.replace(temporary, path)


def read_heartbeat(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def open_for_checks(db_path: Path) -> sqlite_utils.Database:
    """Its own connection with a short busy timeout: a check must answer, not queue."""
    conn = sqlite3.connect(db_path, timeout=1.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 1000")
    return sqlite_utils.Database(conn)


def check_database(db: sqlite_utils.Database, data_dir: Path) -> Check:
    try:
        # Takes and drops the write lock: fails on a read-only file or a stuck writer
        # (after the busy timeout), without writing anything Litestream would have to ship.
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("ROLLBACK")
    except Exception as exc:  # any failure here means "not ready"; say which
        return Check("database", False, f"not writable: {exc}")
    free = shutil.disk_usage(data_dir).free
    if free < MIN_FREE_BYTES:
        return Check("database", False, f"only {free // (1024 * 1024)} MB free on the volume")
    return Check("database", True, f"writable; {free // (1024 * 1024)} MB free")


def check_migrations(db: sqlite_utils.Database) -> Check:
    try:
        pending = store.pending_migrations(db)
    except Exception as exc:
        return Check("migrations", False, f"cannot read schema_migrations: {exc}")
    if pending:
        names = ", ".join(f"{m.version:03d}_{m.name}" for m in pending)
        return Check("migrations", False, f"not applied: {names}")
    return Check("migrations", True, f"at version {max(store.applied_versions(db))}")


def check_queue(settings: Settings) -> Check:
    try:
        from huey import SqliteHuey

        # Its own handle on the queue file (the name must match jobs.huey's).
        queue = SqliteHuey("compass", filename=str(settings.queue_path), timeout=1)
        pending = queue.pending_count()
        queue.storage.close()
    except Exception as exc:
        return Check("queue", False, f"unreachable: {exc}")
    return Check("queue", True, f"{pending} task(s) waiting")


def check_worker(settings: Settings, *, now: float | None = None,
                 stale_after: float = HEARTBEAT_STALE_SECONDS) -> Check:
    beat = read_heartbeat(heartbeat_path(settings))
    if beat is None:
        return Check("worker", False, "no heartbeat: the worker has not started")
    age = (now or time.time()) - float(beat.get("at", 0))
    if beat.get("state") != "running":
        return Check("worker", False, f"worker {beat.get('state')} {age:.0f} s ago")
    if age > stale_after:
        return Check("worker", False, f"heartbeat {age:.0f} s old (limit {stale_after:.0f} s)")
    return Check("worker", True, f"heartbeat {age:.0f} s ago (pid {beat.get('pid')})")


def readiness(settings: Settings) -> list[Check]:
    """Every check, each with what it found. Blocking: call it from a thread."""
    if not settings.db_path.exists():
        checks = [Check("database", False, f"{settings.db_path} does not exist")]
    else:
        db = open_for_checks(settings.db_path)
        try:
            checks = [check_database(db, settings.COMPASS_DATA_DIR), check_migrations(db)]
        finally:
            db.conn.close()
    return [*checks, check_queue(settings), check_worker(settings)]
